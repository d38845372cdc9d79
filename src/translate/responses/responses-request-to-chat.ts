import { isJsonObject, type JsonObject } from "../../core/dialect.ts";
import { missingParameter } from "../../core/missing-parameter.ts";
import { CallerPaths, RESPONSES_FIELDS } from "../caller-paths.ts";
import type { ChatUpstreamNeeds } from "../chat-upstream-needs.ts";
import { customArguments } from "../custom-tool-function.ts";
import { Dropped, type UnsupportedPolicy } from "../dropped.ts";
import { plainCallIds } from "../openai-to-gemini/gemini-call-id.ts";
import { parseBody } from "../parse-body.ts";
import { imagesAfterTools } from "../tool-result-images.ts";
import { COMPACT_PROMPT, summaryTurn } from "./compaction.ts";
import { checkInputItems, responsesParam } from "./input-item-checks.ts";
import { inputItems } from "./input-items.ts";
import { type ReferencedItems, referencedItem } from "./item-references.ts";
import { checkMaxOutputTokens } from "./max-output-tokens.ts";
import { ReasoningBack } from "./reasoning-back.ts";
import { messageContent, type PartWriting, toolOutput } from "./responses-content-to-chat.ts";
import { type ResponsesItem, type ResponsesRequest, responsesSchemas } from "./responses-schema.ts";
import { chatSettings } from "./responses-settings-to-chat.ts";
import { chatTools, type DeclaredTool } from "./responses-tools-to-chat.ts";
import { ToolNames } from "./tool-names.ts";

/** A Responses request as chat completions, with what it takes to read the answer back. */
export interface ChatFromResponses {
  readonly body: JsonObject;
  /** How chat function names map back to the caller's tools. */
  readonly tools: ToolNames;
  /** What the upstream cannot be given (hosted tools, item types), by name. */
  readonly dropped: readonly string[];
  /** Where each chat message, part and call came from in the caller's input (caller-paths.ts). */
  readonly paths: CallerPaths;
  /**
   * The input ends in a `compaction_trigger` item: the caller wants the conversation compacted
   * (Codex's in-stream compaction, and `POST /v1/responses/compact`). The chat request then asks
   * the model for a summary turn (COMPACT_PROMPT, no tool calls); the answer must be one
   * `compaction` item (compaction.ts).
   */
  readonly compact: boolean;
}

const parseItem = (item: JsonObject): ResponsesItem => parseBody(responsesSchemas().item, item, "request");

/** Items that carry nothing a chat upstream can use, accepted without a word. */
const SILENT_ITEMS = new Set(["reasoning", "additional_tools", "compaction_trigger"]);

/**
 * Responses API request → chat.completions request, for upstreams without `/v1/responses`.
 * `previous` is the stored conversation of `previous_response_id` (its input and output items,
 * oldest first), resolved by the caller; earlier `instructions` are not carried over, as OpenAI
 * documents. `referenced` holds the stored items the `item_reference`s name (item-references.ts):
 * each stands in for its reference; one not found is named (or refused). Function, custom and
 * namespaced tools translate (see responses-tools-to-chat.ts); hosted tools, item types and
 * fields chat cannot express are dropped and named, or refused, by policy.
 * Reasoning items (and their `encrypted_content`) are the upstream's own and are left out (OpenAI
 * refuses reasoning sent back), unless the upstream needs its reasoning back (`needs.reasoningBack`):
 * then their text is the next assistant message's `reasoning_content` (reasoning-back.ts). A
 * `compaction` item the gateway wrote (compaction.ts) becomes its summary turn.
 */
export function responsesRequestToChat(
  body: JsonObject,
  previous: readonly JsonObject[] = [],
  policy: UnsupportedPolicy = "drop",
  referenced: ReferencedItems = new Map(),
  needs: ChatUpstreamNeeds = {},
): ChatFromResponses {
  checkMaxOutputTokens(body);
  const request = parseBody(responsesSchemas().request, body, "request", responsesParam);
  // As OpenAI's API: a turn needs an input, unless it continues a conversation (null is absent).
  if (request.input == null && previous.length === 0) throw missingParameter("input");
  const own = inputItems(request.input);
  checkInputItems(own);
  const dropped = new Dropped(policy);
  const items = [...previous.map(parseItem), ...own].map((item) => {
    const named = referencedItem(item, referenced);
    return named ? parseItem(named) : item;
  });
  const declared: DeclaredTool[] = (request.tools ?? []).map((tool, i) => ({ tool, at: `tools[${i}]` }));
  for (const [k, item] of items.entries()) {
    if (item.type !== "additional_tools") continue;
    for (const [j, tool] of (item.tools ?? []).entries())
      declared.push({ tool, at: `${declaringItemPath(k, previous.length)}.tools[${j}]` });
  }
  const names = new ToolNames();
  // Tools first: history items name them, and must get the same chat names.
  const paths = new CallerPaths(RESPONSES_FIELDS);
  const tools = chatTools(declared, request.tool_choice, names, dropped, paths, needs.webSearch === true);
  const reasoning = needs.reasoningBack ? new ReasoningBack(needs.signedThinkingOf) : undefined;
  const writing = { names, dropped, paths, fileUrls: needs.fileUrls === true };
  const messages = messagesOf(request, items, previous.length, writing, reasoning);
  paths.wrote(messages);
  const compact = items.at(-1)?.type === "compaction_trigger";
  if (compact) messages.push({ role: "user", content: COMPACT_PROMPT });
  // Gemini's signatures ride in the call ids only to a Gemini upstream (gemini-call-id.ts).
  const out: JsonObject = {
    model: request.model,
    messages: needs.signedCallIds ? messages : plainCallIds(messages),
  };
  Object.assign(out, tools);
  Object.assign(out, chatSettings(request, dropped, needs.showsReasoningAsked === true));
  if (request.parallel_tool_calls != null && Array.isArray(out.tools)) {
    out.parallel_tool_calls = request.parallel_tool_calls;
  }
  // The tools stay declared (the history calls them) but the summary is text.
  if (compact && out.tools) out.tool_choice = "none";
  return { body: out, tools: names, dropped: dropped.list, paths, compact };
}

/** What writing the chat messages keeps as it goes: tool names, and what writing their parts keeps. */
interface Writing extends PartWriting {
  readonly names: ToolNames;
}

/**
 * `items` are the stored chain's (`stored` of them, first), then the request's own input;
 * `reasoning`, when the upstream wants its reasoning back, takes the reasoning items.
 */
function messagesOf(
  request: ResponsesRequest,
  items: readonly ResponsesItem[],
  stored: number,
  writing: Writing,
  reasoning: ReasoningBack | undefined,
): JsonObject[] {
  const messages: JsonObject[] = [];
  if (request.instructions)
    messages.push(writing.paths.mark({ role: "system", content: request.instructions }, "instructions"));
  // Images tools returned, for the user message after the run of tool messages.
  let images: JsonObject[] = [];
  for (const [i, item] of items.entries()) {
    if (images.length > 0 && !TOOL_OUTPUTS.has(item.type ?? "message")) {
      messages.push({ role: "user", content: images });
      images = [];
    }
    if (reasoning && item.type === "reasoning") {
      reasoning.hold(item);
      continue;
    }
    images.push(...appendItem(messages, item, itemPath(i, stored), writing));
    if (reasoning && isAssistantTurn(item)) reasoning.landed(messages.at(-1));
  }
  if (images.length > 0) messages.push({ role: "user", content: images });
  reasoning?.finish(messages);
  return messages;
}

/**
 * Where the `i`th item (of the stored chain's `stored`, then the request's own) came from, as a
 * 400 names it: the chain it continues, or `input[n]`.
 */
const itemPath = (i: number, stored: number) =>
  i < stored ? "previous_response_id" : `input[${i - stored}]`;

/**
 * Where the `i`th item declaring tools (`additional_tools`) came from: as `itemPath`, but a stored
 * one by its place in the chain's items (`previous_response_id.input[k]`), so two such items of
 * the chain name their tools apart.
 */
const declaringItemPath = (i: number, stored: number) =>
  i < stored ? `previous_response_id.input[${i}]` : itemPath(i, stored);

/** An item that goes into an assistant message: its text, or a call it made. */
const isAssistantTurn = (item: ResponsesItem) =>
  item.type === "function_call" ||
  item.type === "custom_tool_call" ||
  ((item.type ?? "message") === "message" && item.role === "assistant");

const TOOL_OUTPUTS = new Set(["function_call_output", "custom_tool_call_output"]);

/** Appends `item` as chat messages; returns the images a tool output leaves for after the run. */
function appendItem(messages: JsonObject[], item: ResponsesItem, at: string, writing: Writing): JsonObject[] {
  const { names, dropped, paths } = writing;
  const type = item.type ?? "message";
  if (type === "message" && item.role) {
    // `developer` is the newer name for `system`; not every chat server knows it.
    const role = item.role === "developer" ? "system" : item.role;
    const content = messageContent(item.content, at, writing);
    const calling = messages.at(-1);
    if (role === "assistant" && calling?.role === "assistant" && Array.isArray(calling.tool_calls)) {
      // Text the calls had none before is this item's: what an upstream says of it names this item,
      // and of the message (its role, its calls) the call's.
      if (calling.content == null || calling.content === "") paths.markContent(calling, at);
      calling.content = joinedContent(calling.content, content);
    } else messages.push(paths.mark({ role, content }, at));
  } else if (type === "function_call" || type === "custom_tool_call") {
    const name = names.chatName(item.name ?? "", item.namespace ?? undefined);
    const args = type === "custom_tool_call" ? customArguments(item.input ?? "") : (item.arguments ?? "");
    const call = { id: item.call_id ?? "", type: "function", function: { name, arguments: args } };
    appendToolCall(messages, paths.mark(call, at), (message) => paths.mark(message, at));
  } else if (TOOL_OUTPUTS.has(type)) {
    const callId = item.call_id ?? "";
    const output = toolOutput(item.output, at, writing);
    messages.push(paths.mark({ role: "tool", tool_call_id: callId, content: output.text }, at));
    return imagesAfterTools(callId, output.images);
  } else if (type === "compaction") {
    // The gateway's own summary (compaction.ts) goes back as a turn; OpenAI's ciphertext cannot.
    const summary = summaryTurn(item);
    if (summary) messages.push(paths.mark(summary, at));
    else dropped.add("input.compaction", at, "is encrypted by another provider");
  } else if (type === "item_reference") {
    // One the caller's stored responses hold was replaced by its item already.
    const id = JSON.stringify(item.id ?? null);
    dropped.add(
      "input.item_reference",
      `${at}.id`,
      `names ${id}, which no response stored for this caller holds`,
    );
  } else if (!SILENT_ITEMS.has(type)) {
    dropped.add(`input.${type}`, `${at}.type`);
  }
  return [];
}

/**
 * Text the turn says after a call (Claude's `[text, tool_use, text]`, the "\n\n" a chat server
 * streams after one) joins the message that carries the calls, after any text before them: chat
 * has one assistant message a turn, and wants a call's results straight after it (OpenAI: 400 "An
 * assistant message with 'tool_calls' must be followed by tool messages responding to each
 * 'tool_call_id'"), as Messages → chat writes such a turn.
 */
function joinedContent(before: unknown, after: string | JsonObject[]): string | JsonObject[] {
  if (before == null || before === "") return after;
  if (typeof before === "string" && typeof after === "string") return before + after;
  return [...asParts(before), ...asParts(after)];
}

const asParts = (content: unknown): JsonObject[] =>
  typeof content === "string"
    ? [{ type: "text", text: content }]
    : Array.isArray(content)
      ? content.filter(isJsonObject)
      : [];

/**
 * Parallel calls are separate items in Responses but one assistant message in chat; `opened` marks
 * a message the call opens.
 */
function appendToolCall(
  messages: JsonObject[],
  call: JsonObject,
  opened: (message: JsonObject) => JsonObject,
): void {
  const last = messages.at(-1);
  if (last?.role === "assistant" && Array.isArray(last.tool_calls)) last.tool_calls.push(call);
  else if (last?.role === "assistant" && !last.tool_calls) last.tool_calls = [call];
  else messages.push(opened({ role: "assistant", content: null, tool_calls: [call] }));
}
