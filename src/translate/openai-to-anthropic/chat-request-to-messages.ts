import { shown } from "../../core/cut-words.ts";
import { isJsonObject, type JsonObject } from "../../core/dialect.ts";
import { badRequest } from "../../core/gateway-error.ts";
import { refuseAudioOutput } from "../answers-in-audio.ts";
import { claudeEffort, claudeEffortNamed } from "../anthropic-effort.ts";
import { anthropicToolId } from "../anthropic-tool-id.ts";
import { formatInstruction, isFileById, messageText } from "../chat-request-parts.ts";
import {
  CARRIED_BY_EVERY_TARGET,
  type ChatTarget,
  nameUncarried,
  targetTemperature,
} from "../chat-target.ts";
import { parseDataUrl } from "../data-url.ts";
import { Dropped } from "../dropped.ts";
import { refuseForcedToolChoice } from "../forced-tool-refused.ts";
import { hasText } from "../has-text.ts";
import {
  type OpenAIChatRequest,
  type OpenAIContentPart,
  type OpenAIMessage,
  openAISchemas,
} from "../openai-schema.ts";
import { plainCallId } from "../openai-to-gemini/gemini-call-id.ts";
import { parseBody, parseToolArguments } from "../parse-body.ts";
import { THINKING_SEPARATOR, type ThinkingBlock, thinkingOf } from "../thinking-blocks.ts";
import { refuseThinkingType } from "../thinking-type-refused.ts";
import { refuseUnreadLastTurn, type UnreadTurnWords } from "../unread-last-turn.ts";
import { type UnsignedThinkingBlock, unsignedThinkingBlock } from "../unsigned-thinking-block.ts";
import { systemOf, textBlocks, withCacheControl, withMessageMark } from "./anthropic-cache-control.ts";
import { anthropicEnforcedSchema } from "./anthropic-enforced-schema.ts";
import { withAutomaticCaching } from "./automatic-caching.ts";
import { fileDocument } from "./file-document.ts";
import { anthropicOutputLimit } from "./output-limit.ts";
import { stopSequences } from "./stop-sequences.ts";
import { webSearchTool } from "./web-search-tool.ts";

/** What Messages can take of a chat request; the rest is named in `dropped` (chat-target.ts). */
export const ANTHROPIC_TARGET: ChatTarget = {
  name: "Anthropic",
  carries: [
    ...CARRIED_BY_EVERY_TARGET,
    "user",
    "safety_identifier",
    "reasoning_effort",
    "parallel_tool_calls",
    // Anthropic's own extended thinking, which a chat caller may set as toward Converse's Claude.
    "thinking",
    // As Anthropic's web_search server tool (web-search-tool.ts).
    "web_search_options",
  ],
  maxTemperature: 1,
  strictTools: true,
  strictFormat: true,
  // A `document` block by `url` source: Anthropic fetches the PDF.
  fileUrls: true,
  refusesTopPWithTemperature: true,
};

/**
 * Anthropic's own API, which takes automatic caching (`Provider.cachesAutomatically`): a caller's
 * `prompt_cache_key`, and a top-level `cache_control` (OpenRouter's), are carried as that
 * (automatic-caching.ts).
 */
export const ANTHROPIC_CACHING_TARGET: ChatTarget = {
  ...ANTHROPIC_TARGET,
  carries: [...ANTHROPIC_TARGET.carries, "prompt_cache_key", "cache_control"],
};

/**
 * OpenAI chat.completions request → Anthropic Messages request.
 *
 * `response_format` becomes `output_config.format` and a system instruction; `safety_identifier`
 * (else `user`) becomes `metadata.user_id`. What Anthropic cannot take (`seed`, `logprobs`,
 * penalties, `logit_bias`, `audio`, `prediction`, `store`, a `temperature` over 1, which is
 * clamped, …) is named in `dropped` or refused, by policy (ANTHROPIC_TARGET); `n` other than 1,
 * and `modalities` asking for audio, are refused. Without `max_completion_tokens` or `max_tokens`, which Anthropic requires, the
 * bound is the most `upstreamModel` may write (output-limit.ts): the caller asked for no less.
 * An assistant message's `reasoning_content` is left out (Claude refuses thinking it did not
 * sign), unless the upstream takes it back (`thinkingBack`: `Provider.takesUnsignedThinking`):
 * then it leads the turn as a thinking block, as an empty one on a tool-call turn without it.
 * `prompt_cache_key` and a top-level `cache_control` go as Anthropic's automatic caching where
 * the upstream takes it (`caches`: `Provider.cachesAutomatically`), else they are named; there a
 * turn of a stored chain (`chained`) is cached as one with a key is.
 */
export function chatRequestToMessages(
  body: JsonObject,
  dropped = new Dropped(),
  upstreamModel?: string,
  thinkingBack = false,
  caches = false,
  chained = false,
): JsonObject {
  const request = parseBody(openAISchemas().chatRequest, body, "request");
  if (request.n != null && request.n !== 1) throw badRequest("n: only n=1 is supported on this model", "n");
  refuseAudioOutput(body, ANTHROPIC_TARGET);
  nameUncarried(body, caches ? ANTHROPIC_CACHING_TARGET : ANTHROPIC_TARGET, dropped);
  const system: JsonObject[] = [];
  const turns: Array<{ role: "user" | "assistant"; content: JsonObject[] }> = [];
  const push = (role: "user" | "assistant", blocks: JsonObject[]) => {
    if (blocks.length === 0) return;
    const last = turns.at(-1);
    // Anthropic wants strictly alternating turns: consecutive same-role messages merge.
    if (last?.role !== role) turns.push({ role, content: blocks });
    else if (role === "assistant") mergeAssistant(last.content, blocks);
    else last.content.push(...blocks);
  };
  for (const [i, message] of request.messages.entries()) {
    if (message.role === "system" || message.role === "developer") system.push(...textBlocks(message));
    else if (message.role === "tool")
      push("user", [withCacheControl(toolResult(message, i), message.cache_control)]);
    else if (message.role === "assistant") {
      // Blocks noted beside the message as written (the parse is a copy): a Responses caller's.
      const noted = thinkingBack && Array.isArray(body.messages) ? thinkingOf(body.messages[i]) : undefined;
      push(
        "assistant",
        withMessageMark(assistantBlocks(message, thinkingBack, noted), message.cache_control),
      );
    } else push("user", userBlocks(message.content, i));
  }
  refuseUnreadLastTurn(request.messages, turns, CLAUDE_WORDS);
  const format = formatInstruction(request.response_format);
  if (format) system.push({ type: "text", text: format });

  const out: JsonObject = {
    model: request.model,
    messages: turns,
    max_tokens:
      request.max_completion_tokens ??
      request.max_tokens ??
      anthropicOutputLimit(upstreamModel ?? request.model),
  };
  const instructions = systemOf(system);
  if (instructions !== undefined) out.system = instructions;
  if (request.temperature != null) out.temperature = targetTemperature(ANTHROPIC_TARGET, request.temperature);
  // `top_p: 1`, which OpenAI's SDKs and frameworks often send, samples from every token: it asks
  // nothing beside a temperature, which Claude 4.5 models refuse it with (routing/refused-hint.ts).
  if (request.top_p != null && !(request.top_p === 1 && out.temperature !== undefined))
    out.top_p = request.top_p;
  const stops = stopSequences(request.stop, dropped);
  if (stops) out.stop_sequences = stops;
  const userId = request.safety_identifier ?? request.user;
  if (userId) out.metadata = { user_id: userId };
  if (request.user && request.safety_identifier && request.user !== request.safety_identifier)
    dropped.add("user", "user", "is a second user id; Anthropic takes one (safety_identifier's)");
  if (request.stream) out.stream = true;
  // Anthropic's `thinking` in the chat body (a chat caller's, as toward Claude on Converse): as
  // written, unless its type is one the model answers with a 400 (thinking-type-refused.ts).
  if (isJsonObject(body.thinking)) {
    refuseThinkingType(body.thinking, upstreamModel ?? request.model);
    out.thinking = body.thinking;
  }
  const output = outputConfig(request, dropped, upstreamModel ?? request.model, body.thinking);
  if (output) out.output_config = output;
  Object.assign(out, translateTools(request, webSearchTool(body.web_search_options, dropped)));
  // A forced call to a Claude that refuses one: the route's refusal (one read of the choice).
  refuseForcedToolChoice(out.tool_choice, upstreamModel ?? request.model);
  if (caches) withAutomaticCaching(body, out, dropped, chained);
  return out;
}

/**
 * `reasoning_effort` and a `json_schema` response format, as Anthropic's `output_config`
 * (`effort`, the level `model` takes with the caller's `thinking`, and `format`, which Anthropic enforces; the system
 * instruction stays for servers that only read the prompt).
 */
function outputConfig(
  request: OpenAIChatRequest,
  dropped: Dropped,
  model: string,
  thinking: unknown,
): JsonObject | undefined {
  const out: JsonObject = {};
  const asked = request.reasoning_effort;
  const effort = claudeEffort(asked, model, thinking);
  if (effort) out.effort = effort;
  // Not as asked (no level for the word, or only a lower one for the model): named.
  const why = claudeEffortNamed(asked, effort, model, thinking);
  if (why) dropped.add("reasoning_effort", "reasoning_effort", why);
  const schema =
    request.response_format?.type === "json_schema" ? request.response_format.json_schema?.schema : undefined;
  // Enforced whether or not the caller asked for `strict`: Anthropic has no looser mode to send.
  if (schema !== undefined) out.format = { type: "json_schema", schema: anthropicEnforcedSchema(schema) };
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * An assistant message as Messages blocks: its reasoning first when the upstream takes it back
 * (DeepSeek's `/anthropic`, whose thinking mode refuses a tool-call turn without its thinking: 400
 * "The `content[].thinking` in the thinking mode must be passed back to the API"), with the empty
 * signature of thinking no Claude wrote; or, where a Responses caller's reasoning items carried
 * that server's own blocks (`noted`: thinking-blocks.ts), those blocks, each with its signature. A
 * tool-call message without reasoning leads with an empty block: most chat SDKs send no
 * `reasoning_content` back, a turn another route answered has none, and a Responses caller's such
 * turn carries it empty (reasoning-back.ts) — one rule for each.
 */
function assistantBlocks(
  message: OpenAIMessage,
  thinkingBack: boolean,
  noted: readonly ThinkingBlock[] | undefined,
): JsonObject[] {
  const blocks: JsonObject[] = [];
  const reasoning = typeof message.reasoning_content === "string" ? message.reasoning_content : undefined;
  const calls = message.tool_calls ?? [];
  if (noted)
    blocks.push(...noted.map(({ thinking, signature }) => ({ type: "thinking", thinking, signature })));
  else if (thinkingBack && (reasoning !== undefined || calls.length > 0))
    blocks.push(unsignedThinkingBlock(reasoning ?? ""));
  blocks.push(...textBlocks(message));
  for (const call of calls) {
    const toolUse = {
      type: "tool_use",
      id: anthropicToolId(plainCallId(call.id)),
      name: call.function.name,
      input: parseToolArguments(call.function.arguments),
    };
    blocks.push(withCacheControl(toolUse, call.cache_control));
  }
  return blocks;
}

/**
 * An assistant message merged into the turn before it (Anthropic's turns alternate): its thinking
 * stays before the turn's text and calls, where pushed after them it sat mid-turn. Unsigned, it
 * joins the turn's unsigned leading block, the reasonings in order; signed blocks (a Responses
 * caller's, noted) follow the turn's own thinking as they are, a signature being its block's alone.
 */
function mergeAssistant(turn: JsonObject[], blocks: JsonObject[]): void {
  const thought = leadingThinking(blocks);
  if (thought === 0) {
    turn.push(...blocks);
    return;
  }
  const [first] = blocks;
  const lead = turn[0];
  if (thought === 1 && isUnsigned(first) && isUnsigned(lead))
    lead.thinking = [lead.thinking, first.thinking].filter((r) => r !== "").join(THINKING_SEPARATOR);
  else turn.splice(leadingThinking(turn), 0, ...blocks.slice(0, thought));
  turn.push(...blocks.slice(thought));
}

/** How many thinking blocks `blocks` begins with: in a translated turn, only those `assistantBlocks` made. */
function leadingThinking(blocks: readonly JsonObject[]): number {
  let n = 0;
  while (blocks[n]?.type === "thinking") n++;
  return n;
}

/** A thinking block without a signature, as `unsignedThinkingBlock` makes one. */
const isUnsigned = (block: JsonObject | undefined): block is UnsignedThinkingBlock =>
  block?.type === "thinking" && block.signature === "";

const CLAUDE_WORDS: UnreadTurnWords = {
  model: "Claude",
  endingOnModel: "which Claude continues as a prefill",
};

function toolResult(message: OpenAIMessage, i: number): JsonObject {
  if (!message.tool_call_id)
    throw badRequest(`messages.${i}.tool_call_id: required`, `messages.${i}.tool_call_id`);
  return {
    type: "tool_result",
    tool_use_id: anthropicToolId(plainCallId(message.tool_call_id)),
    content: messageText(message),
  };
}

function userBlocks(content: OpenAIMessage["content"], i: number): JsonObject[] {
  if (content == null) return [];
  if (typeof content === "string") return hasText(content) ? [{ type: "text", text: content }] : [];
  return content.flatMap((part, j): JsonObject[] => {
    const block = userBlock(part, `messages.${i}.content.${j}`);
    return block ? [withCacheControl(block, part.cache_control)] : [];
  });
}

/**
 * One user content part as an Anthropic block. What Anthropic has no place for was named by
 * `nameUncarried` (chat-target.ts): an image's `detail` goes without, a file by OpenAI file id is
 * left out (undefined). A file's data is a document (file-document.ts), a text file of no text
 * left out; a file by URL a document by `url` source. A part type it cannot express at all (`input_audio`) is the caller's 400.
 */
function userBlock(part: OpenAIContentPart, path: string): JsonObject | undefined {
  if (part.type === "text") return hasText(part.text) ? { type: "text", text: part.text } : undefined;
  if (part.type === "image_url" && part.image_url !== undefined) {
    const url = typeof part.image_url === "string" ? part.image_url : part.image_url.url;
    return { type: "image", source: sourceFor(url) };
  }
  if (part.type === "file" && part.file?.file_data !== undefined) return fileDocument(part.file, path);
  // A file by URL (ANTHROPIC_TARGET.fileUrls): a PDF, which is all Anthropic fetches as a document.
  if (part.type === "file" && part.file?.file_url !== undefined)
    return { type: "document", source: { type: "url", url: part.file.file_url } };
  if (isFileById(part)) return undefined;
  throw badRequest(`${path}: content part "${shown(part.type)}" is not supported on this model`, path);
}

/**
 * A function's parameters as Anthropic's `input_schema`, which must say `type: "object"` (400
 * "tools.0.custom.input_schema.type: Field required"), where OpenAI takes a schema without a type
 * (`{}`: no parameters) as an object's: none becomes an object of no properties, and one without
 * a type is given it.
 */
function inputSchema(parameters: JsonObject | undefined): JsonObject {
  if (parameters === undefined) return { type: "object", properties: {} };
  return parameters.type === undefined ? { type: "object", ...parameters } : parameters;
}

/** A data: URL becomes a base64 source; anything else is fetched by Anthropic as a URL. */
function sourceFor(url: string): JsonObject {
  const data = parseDataUrl(url);
  return data ? { type: "base64", media_type: data.mediaType, data: data.data } : { type: "url", url };
}

/** The caller's functions as Anthropic tools, then `search` (web-search-tool.ts), and the choice. */
function translateTools(request: OpenAIChatRequest, search: JsonObject | undefined): JsonObject {
  const out: JsonObject = {};
  const tools = (request.tools ?? []).map(({ function: fn, cache_control: mark }) => {
    const parameters = inputSchema(fn.parameters);
    // Only a strict tool's schema is enforced, and so held to Anthropic's subset.
    const tool: JsonObject = {
      name: fn.name,
      input_schema: fn.strict === true ? anthropicEnforcedSchema(parameters) : parameters,
    };
    if (fn.description !== undefined) tool.description = fn.description;
    if (fn.strict === true) tool.strict = true;
    return withCacheControl(tool, mark);
  });
  if (search) tools.push(search);
  if (request.tools || search) out.tools = tools;
  const choice = request.tool_choice;
  let anthropicChoice: JsonObject | undefined;
  if (choice === "auto") anthropicChoice = { type: "auto" };
  else if (choice === "required") anthropicChoice = { type: "any" };
  else if (choice === "none") anthropicChoice = { type: "none" };
  else if (choice) anthropicChoice = { type: "tool", name: choice.function.name };
  if (request.parallel_tool_calls === false && request.tools?.length && anthropicChoice?.type !== "none") {
    anthropicChoice = { ...(anthropicChoice ?? { type: "auto" }), disable_parallel_tool_use: true };
  }
  if (anthropicChoice) out.tool_choice = anthropicChoice;
  return out;
}
