import { isJsonObject, type JsonObject } from "../../core/dialect.ts";
import {
  type AnthropicContentBlock,
  type AnthropicMessage,
  type AnthropicRequest,
  anthropicSchemas,
} from "../anthropic-schema.ts";
import { chatToolId } from "../anthropic-tool-id.ts";
import { cacheMarkOf, isCacheMarked, withCacheMark } from "../cache-marks.ts";
import type { CallerPaths } from "../caller-paths.ts";
import type { ChatUpstreamNeeds } from "../chat-upstream-needs.ts";
import { Dropped } from "../dropped.ts";
import { plainCallIds } from "../openai-to-gemini/gemini-call-id.ts";
import { parseBody } from "../parse-body.ts";
import { noteThinking, type ThinkingBlock } from "../thinking-blocks.ts";
import { isUnset, nameUncarriedFields } from "../uncarried-fields.ts";
import { nameUnexpressedToolFields } from "../unexpressed-tool-fields.ts";
import { blockObject, blockString } from "./block-source.ts";
import { chatStop } from "./chat-stop.ts";
import { chatUser } from "./chat-user.ts";
import { fitsOpenAIStrict } from "./fits-openai-strict.ts";
import { effortFromThinking, showsThinking } from "./reasoning-effort.ts";
import { type BlockTranslation, userMessages } from "./user-content-to-chat.ts";

/**
 * The top-level fields the translation carries, as chat's nearest equivalent. Any other the caller
 * set (`top_k`, `context_management`, `container`, `mcp_servers`, `speed: "fast"`, `inference_geo`,
 * a field of a beta) goes without, named in `x-mindgw-dropped`, or refused by policy.
 * `cache_control` is a caching hint, left out as a block's is: a chat upstream caches a prompt's
 * prefix on its own, and the answer is the same.
 */
const CARRIED = [
  "model",
  "messages",
  "max_tokens",
  "system",
  "stop_sequences",
  "temperature",
  "top_p",
  "metadata",
  "stream",
  "tools",
  "tool_choice",
  "thinking",
  "output_config",
  "output_format",
  "service_tier",
  "cache_control",
] as const;

/** What is carried to a model that takes a sampling `top_k` behind the chat step (`needs.topK`). */
const CARRIED_WITH_TOP_K = [...CARRIED, "top_k"];

/** Values that ask for nothing beyond Anthropic's default, so going without loses nothing. */
const DEFAULTS: JsonObject = { speed: "standard" };

/** `output_config`'s fields the translation carries; any other is named (`output_config.task_budget`). */
const OUTPUT_CONFIG_CARRIED = ["effort", "format"];

/** Anthropic's `service_tier`, as OpenAI's: standard capacity only is OpenAI's `default` tier. */
const SERVICE_TIERS: Readonly<Record<string, string>> = { auto: "auto", standard_only: "default" };

/**
 * Anthropic Messages request → OpenAI chat.completions request.
 *
 * `system` (top-level, and `system` turns anywhere in `messages`) become system messages in
 * place; `thinking` budgets and `output_config.effort` become `reasoning_effort` (to Claude behind
 * the chat step, `needs.claudeThinking`, `thinking` goes as it is, its turns' signed thinking noted);
 * `output_config.format` (or the beta's `output_format`) becomes `response_format`;
 * `service_tier` becomes OpenAI's; `top_k` goes as chat's `top_k` where the model behind takes it
 * (`needs.topK`: Claude on Converse); `metadata.user_id` becomes `user`, as a digest when it is longer
 * than OpenAI takes (chat-user.ts). Thinking blocks in past turns are left out (OpenAI refuses
 * reasoning sent back), as are `cache_control` hints, unless the upstream needs its reasoning back
 * (`needs.reasoningBack`): then they are each assistant message's `reasoning_content`. Server tools (Anthropic-hosted, with a `type` other than
 * `custom`) and every field not carried are dropped and named in `dropped`, or refused, by
 * `translation.unsupported`.
 */
export function messagesRequestToChat(
  body: JsonObject,
  dropped = new Dropped(),
  needs: ChatUpstreamNeeds = {},
  paths?: CallerPaths,
): JsonObject {
  const request = parseBody(anthropicSchemas().request, body, "request");
  const messages: JsonObject[] = [];
  const system = systemContent(request.system, needs);
  if (system !== undefined) messages.push(marked({ role: "system", content: system }, "system", paths));
  for (const [i, message] of request.messages.entries())
    messages.push(...translateMessage(message, i, { dropped, needs, paths }));
  paths?.wrote(messages);
  // OpenAI's reasoning models (o-series, gpt-5) refuse the older `max_tokens`; a server that knows
  // only that one gets it back from its preset (`legacyMaxTokens`), a worker's from its tunnel.
  // Gemini's signatures ride in the call ids only to a Gemini upstream (gemini-call-id.ts).
  const out: JsonObject = {
    model: request.model,
    messages: needs.signedCallIds ? messages : plainCallIds(messages),
    max_completion_tokens: request.max_tokens,
  };
  if (request.temperature !== undefined) out.temperature = request.temperature;
  if (request.top_p !== undefined) out.top_p = request.top_p;
  const stops = request.stop_sequences ?? [];
  if (stops.length > 0) out.stop = chatStop(stops, needs.maxStops, dropped);
  if (request.metadata?.user_id) out.user = chatUser(request.metadata.user_id);
  if (request.stream) {
    out.stream = true;
    // Anthropic streams always report usage; OpenAI only when asked.
    out.stream_options = { include_usage: true };
  }
  // To Claude behind the chat step, `thinking` goes as the caller wrote it (ChatUpstreamNeeds.claudeThinking).
  const claudeThinking = needs.claudeThinking === true && isJsonObject(body.thinking);
  if (claudeThinking) out.thinking = body.thinking;
  const effort =
    request.output_config?.effort ??
    (claudeThinking ? undefined : effortFromThinking(request.thinking, needs.thinkingOffEffort));
  if (effort) out.reasoning_effort = effort;
  // An upstream that takes a budget in tokens (Gemini 2.5) gets the caller's number beside its bucket.
  const budget = request.thinking?.type === "enabled" ? request.thinking.budget_tokens : undefined;
  if (needs.thinkingBudget && effort && !request.output_config?.effort && budget !== undefined)
    out.reasoning = { max_tokens: budget };
  // An upstream that shows its thinking only when asked (Gemini) is asked when Claude would show it.
  if (needs.showsReasoningAsked && showsThinking(request.thinking)) out.include_reasoning = true;
  const format = request.output_config?.format ?? request.output_format;
  if (format?.type === "json_schema") {
    const strict = fitsOpenAIStrict(format.schema);
    if (!strict) {
      const field = request.output_config?.format ? "output_config.format" : "output_format";
      dropped.add(field, field, NOT_STRICT);
    }
    out.response_format = {
      type: "json_schema",
      json_schema: { name: "response", schema: format.schema, strict },
    };
  }
  if (needs.topK && typeof body.top_k === "number") out.top_k = body.top_k;
  nameUncarriedFields(body, needs.topK ? CARRIED_WITH_TOP_K : CARRIED, DEFAULTS, dropped);
  for (const [field, value] of Object.entries(request.output_config ?? {})) {
    if (!OUTPUT_CONFIG_CARRIED.includes(field) && !isUnset(value))
      dropped.add(`output_config.${field}`, `output_config.${field}`);
  }
  const tier = request.service_tier;
  if (tier) {
    if (Object.hasOwn(SERVICE_TIERS, tier)) out.service_tier = SERVICE_TIERS[tier];
    else dropped.add("service_tier", "service_tier");
  }
  Object.assign(out, translateTools(request, dropped, paths, needs));
  return out;
}

/**
 * How Claude Code's attribution block begins, the first of its system prompt on every request
 * (`x-anthropic-billing-header: cc_version=2.1.328.593; cc_entrypoint=sdk-cli;`). Anthropic reads
 * it as a header; any other model would read it as the start of its prompt, and its version's
 * suffix changes from prompt to prompt, so a server that caches a prompt's prefix (vLLM, OpenAI,
 * Gemini) would find none of the ~10k-token system prompt after it. Left out, not named: it asks
 * the model for nothing (sglang PR #29169, claudish #126 and claude-code-router #1372 leave it out
 * too). An Anthropic route is sent it as the caller wrote it.
 */
const BILLING_HEADER = "x-anthropic-billing-header:";

/**
 * The system prompt as one text; as a text part a block, each with its breakpoint, when one has a
 * breakpoint the upstream takes (cache-marks.ts).
 */
function systemContent(
  system: AnthropicRequest["system"],
  needs: ChatUpstreamNeeds,
): string | JsonObject[] | undefined {
  if (system === undefined) return undefined;
  if (typeof system === "string") return system;
  const prompt = system.filter((block) => !block.text.startsWith(BILLING_HEADER));
  if (prompt.length === 0) return undefined;
  if (prompt.some((block) => cacheMarkOf(block, needs)))
    return prompt.map((block) => withCacheMark({ type: "text", text: block.text }, block, needs));
  return prompt.map((block) => block.text).join("\n\n");
}

/** `written`, marked as coming from the caller's `at` when a step after asks (`paths`). */
const marked = (written: JsonObject, at: string, paths: CallerPaths | undefined): JsonObject =>
  paths ? paths.mark(written, at) : written;

function translateMessage(message: AnthropicMessage, i: number, translation: BlockTranslation): JsonObject[] {
  const at = `messages.${i}`;
  const { paths } = translation;
  if (typeof message.content === "string")
    return [marked({ role: message.role, content: message.content }, at, paths)];
  if (message.role === "system")
    return [marked({ role: "system", content: textOf(message.content) }, at, paths)];
  if (message.role === "assistant")
    return [marked(assistantMessage(message.content, at, translation), at, paths)];
  return userMessages(message.content, at, translation);
}

function textOf(blocks: AnthropicContentBlock[]): string {
  return blocks
    .flatMap((block) => (block.type === "text" && typeof block.text === "string" ? [block.text] : []))
    .join("\n\n");
}

/**
 * An assistant turn as one chat message: its text joined, its calls, and its thinking where the
 * upstream takes it back. Thinking and Claude's `redacted_thinking` are the model's own and go
 * unnamed; any other block (a server tool's call and result, `mcp_tool_use`, …) has no place in
 * chat, and is named `content.<type>`, as in a user turn.
 */
function assistantMessage(
  blocks: AnthropicContentBlock[],
  at: string,
  { dropped, needs, paths }: BlockTranslation,
): JsonObject {
  let text = "";
  /** Each text block a part, its breakpoint on it: the form the turn takes when one is marked. */
  const parts: JsonObject[] = [];
  const reasoning: string[] = [];
  const thought: ThinkingBlock[] = [];
  const toolCalls: JsonObject[] = [];
  for (const [j, block] of blocks.entries()) {
    const path = `${at}.content.${j}`;
    if (block.type === "text") {
      const said = blockString(block, path, "text");
      text += said;
      parts.push(withCacheMark({ type: "text", text: said }, block, needs));
    } else if (block.type === "thinking" && typeof block.thinking === "string") {
      reasoning.push(block.thinking);
      if (typeof block.signature === "string" && block.signature !== "")
        thought.push({ thinking: block.thinking, signature: block.signature });
    } else if (block.type === "redacted_thinking" && typeof block.data === "string")
      thought.push({ thinking: "", signature: "", redacted: block.data });
    else if (block.type === "tool_use") {
      const args = JSON.stringify(blockObject(block, path, "input"));
      const call = {
        id: chatToolId(blockString(block, path, "id")),
        type: "function",
        function: { name: blockString(block, path, "name"), arguments: args },
      };
      toolCalls.push(marked(withCacheMark(call, block, needs), path, paths));
    } else if (!ASSISTANT_BLOCKS.has(block.type)) dropped.add(`content.${block.type}`, path);
  }
  // A breakpoint stays on the block it marks (a text part, a call), so the upstream's point follows
  // that block, not the turn's last (chat-request-to-converse.ts).
  const content = parts.some(isCacheMarked) ? parts : text === "" && toolCalls.length > 0 ? null : text;
  const out: JsonObject = { role: "assistant", content };
  // A tool-call turn carries the field even without thinking (a turn another route answered):
  // DeepSeek refuses one without it.
  if (needs.reasoningBack && (reasoning.length > 0 || toolCalls.length > 0))
    out.reasoning_content = reasoning.join("\n\n");
  if (toolCalls.length > 0) out.tool_calls = toolCalls;
  // Claude's own thinking, signed or redacted (unsigned, no Claude takes it), for Claude behind
  // the chat step, which takes it back (chat-upstream-needs.ts `claudeThinking`).
  if (needs.claudeThinking && thought.length > 0) noteThinking(out, thought);
  return out;
}

/** An assistant turn's blocks chat carries, or leaves out unnamed (thinking). */
const ASSISTANT_BLOCKS = new Set(["text", "thinking", "redacted_thinking", "tool_use"]);

/**
 * Why a schema Anthropic would enforce goes to OpenAI unenforced (fits-openai-strict.ts): a property
 * left out of `required` is optional to Anthropic, and OpenAI's strict mode refuses it.
 */
const NOT_STRICT =
  "is a schema OpenAI's strict mode refuses (a property not in required, or an object not closed): sent with strict false, followed but not enforced";

function translateTools(
  request: AnthropicRequest,
  dropped: Dropped,
  paths: CallerPaths | undefined,
  needs: ChatUpstreamNeeds,
): JsonObject {
  const out: JsonObject = {};
  const names = new Set<string>();
  if (request.tools) {
    const functions = request.tools.flatMap((tool, i) => {
      if (tool.type !== undefined && tool.type !== "custom") {
        dropped.add(`tools.${tool.type}`, `tools.${i}.type`, "is a server tool the upstream cannot run");
        return [];
      }
      const fn: JsonObject = {
        name: tool.name,
        parameters: tool.input_schema ?? { type: "object", properties: {} },
      };
      if (tool.description !== undefined) fn.description = tool.description;
      if (tool.strict === true && !fitsOpenAIStrict(fn.parameters)) {
        dropped.add("tools.strict", `tools.${i}.strict`, NOT_STRICT);
        fn.strict = false;
      } else if (tool.strict !== undefined) fn.strict = tool.strict;
      nameUnexpressedToolFields(tool, `tools.${i}`, dropped);
      names.add(tool.name);
      // By its place among the caller's tools, which server tools left out shift (caller-paths.ts).
      const written = withCacheMark({ type: "function", function: fn }, tool, needs);
      return [marked(written, `tools.${i}`, paths)];
    });
    if (functions.length > 0) out.tools = functions;
    paths?.wroteTools(functions);
  }
  const choice = request.tool_choice;
  if (!choice) return out;
  // A forced choice without its tool is refused in Anthropic's words (`tool_choice.tool.name: Field required`).
  if (choice.type === "tool") blockString(choice, "tool_choice", "name");
  // Without a function it may call (only server tools, which went: Claude Code's web search forces
  // its `web_search`), chat takes no choice: OpenAI refuses `tool_choice` and `parallel_tool_calls`
  // without `tools`, and a forced name it was not sent. `auto` and `none` ask nothing then.
  if (names.size === 0 || (choice.type === "tool" && !names.has(choice.name ?? ""))) {
    if (choice.type === "any" || choice.type === "tool")
      dropped.add("tool_choice", "tool_choice", NO_FUNCTION);
    return out;
  }
  out.tool_choice =
    choice.type === "tool"
      ? { type: "function", function: { name: choice.name } }
      : { auto: "auto", any: "required", none: "none" }[choice.type];
  if (choice.disable_parallel_tool_use === true) out.parallel_tool_calls = false;
  return out;
}

/** Why a `tool_choice` that asks for a call goes without (`translateTools`). */
const NO_FUNCTION = "asks for a call of a tool the upstream is not sent (a server tool it cannot run)";
