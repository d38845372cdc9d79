import type { JsonObject } from "../../core/dialect.ts";
import { noUsage, type Usage } from "../../core/usage.ts";
import { throwIfBrokenOff } from "../broken-off-finish.ts";
import { customInput } from "../custom-tool-function.ts";
import type { OpenAIUsage } from "../openai-schema.ts";
import { chatUsage } from "../usage-mapping.ts";

/** Where a Responses `response` stands: `failed` once its stream failed (core/error-wire.ts). */
export type ResponseStatus = "in_progress" | "completed" | "incomplete" | "failed";

/** Fields of a Responses `response` object that echo the request. */
export interface ResponseEnvelopeInit {
  id: string;
  createdAt: number;
  request: JsonObject;
  status: ResponseStatus;
  output: JsonObject[];
  usage: JsonObject | null;
  /** Why a response is incomplete (`max_output_tokens`, `content_filter`). */
  incompleteReason?: string;
  /** The answer's moderation results, when the caller asked for them (responses-moderation.ts). */
  moderation?: JsonObject | undefined;
}

/** A full `response` object, shaped as OpenAI returns it, so the official SDK accepts it. */
export function responseEnvelope(init: ResponseEnvelopeInit): JsonObject {
  const r = init.request;
  return {
    id: init.id,
    object: "response",
    created_at: init.createdAt,
    status: init.status,
    background: false,
    error: null,
    incomplete_details: init.incompleteReason ? { reason: init.incompleteReason } : null,
    instructions: r.instructions ?? null,
    max_output_tokens: r.max_output_tokens ?? null,
    model: r.model,
    output: init.output,
    parallel_tool_calls: r.parallel_tool_calls ?? true,
    previous_response_id: r.previous_response_id ?? null,
    reasoning: { effort: reasoningOf(r).effort ?? null, summary: reasoningOf(r).summary ?? null },
    store: r.store ?? true,
    temperature: r.temperature ?? 1,
    text: r.text ?? { format: { type: "text" } },
    tool_choice: r.tool_choice ?? "auto",
    tools: r.tools ?? [],
    top_p: r.top_p ?? 1,
    // The caller's, as OpenAI echoes it: "auto" is not carried to a translated route (named as
    // dropped, responses-settings-to-chat.ts), but it is what the caller asked.
    truncation: r.truncation === "auto" ? "auto" : "disabled",
    usage: init.usage,
    user: r.user ?? null,
    metadata: r.metadata ?? {},
    ...(r.service_tier ? { service_tier: r.service_tier } : {}),
    ...(r.prompt_cache_key ? { prompt_cache_key: r.prompt_cache_key } : {}),
    // The caller's, as OpenAI echoes it (null when unset).
    safety_identifier: r.safety_identifier ?? null,
    ...(init.moderation ? { moderation: init.moderation } : {}),
  };
}

/**
 * Responses usage for a chat-completions usage object (its output counts reasoning, as OpenAI's
 * does), its figures those the gateway bills (usage-mapping.ts `chatUsage`).
 */
export function responsesUsage(usage: OpenAIUsage | null | undefined): JsonObject {
  return responsesUsageOf(usage ? chatUsage(usage) : noUsage());
}

/** Responses usage for usage in the gateway's terms. */
export function responsesUsageOf(read: Usage): JsonObject {
  return {
    input_tokens: read.inputTokens,
    input_tokens_details: { cached_tokens: read.cachedInputTokens ?? 0 },
    output_tokens: read.outputTokens,
    output_tokens_details: { reasoning_tokens: read.reasoningTokens ?? 0 },
    total_tokens: read.inputTokens + read.outputTokens,
  };
}

/**
 * finish_reason → the response status, and the reason when it is incomplete; an answer the server
 * broke off (vLLM's `abort`) throws (broken-off-finish.ts).
 */
export function responseStatus(finishReason: string | null | undefined): {
  status: "completed" | "incomplete";
  incompleteReason?: string;
} {
  throwIfBrokenOff(finishReason);
  if (finishReason === "length") return { status: "incomplete", incompleteReason: "max_output_tokens" };
  if (finishReason === "content_filter") return { status: "incomplete", incompleteReason: "content_filter" };
  return { status: "completed" };
}

/**
 * An output item's status: `incomplete` for the one the answer ended in when it was cut (by
 * `max_output_tokens`, a content filter), as OpenAI marks it, so a client does not run a tool call
 * whose arguments were cut short.
 */
export type ItemStatus = "in_progress" | "completed" | "incomplete";

/**
 * Output item ids derive from the response id, so a stored response reads back the same; the
 * `n`th item of a kind (from 0) is numbered, so no two items of an answer share an id (text, a
 * call, then more text are two messages). The first message and reasoning item keep the bare id
 * earlier releases gave the only one; every call is numbered, as it always was.
 */
export const messageItemId = (responseId: string, n = 0) => numbered("msg", responseId, n);
export const functionCallItemId = (responseId: string, n: number) =>
  `fc_${responseId.replace(/^resp_/, "")}_${n}`;
export const reasoningItemId = (responseId: string, n = 0) => numbered("rs", responseId, n);

const numbered = (prefix: string, responseId: string, n: number) =>
  `${prefix}_${responseId.replace(/^resp_/, "")}${n === 0 ? "" : `_${n}`}`;

/** An assistant message with its content parts (none while it streams, as OpenAI's reads). */
export function messageItem(id: string, status: ItemStatus, parts: readonly JsonObject[]): JsonObject {
  const content = status === "in_progress" ? [] : parts;
  return { id, type: "message", status, role: "assistant", content };
}

export const outputTextPart = (
  text: string,
  logprobs: readonly JsonObject[] = [],
  annotations: readonly JsonObject[] = [],
): JsonObject => ({
  type: "output_text",
  text,
  annotations,
  logprobs,
});

/**
 * The model declining, as OpenAI's Responses API says it: a part of its own, not text, so a
 * client tells a refusal from an answer (the Agents SDK ends its run with ModelRefusalError).
 */
export const refusalPart = (refusal: string): JsonObject => ({ type: "refusal", refusal });

/** A call the model made, as the caller declared the tool (see tool-names.ts). */
export interface ToolCallFields {
  callId: string;
  name: string;
  namespace?: string | undefined;
  custom: boolean;
  /** The chat call's arguments: JSON text, or for a custom tool `{"input": "..."}`. */
  arguments: string;
}

/**
 * A `function_call` item, or for a `custom` tool a `custom_tool_call` item whose `input` is the
 * one string argument the chat function was given.
 */
export function functionCallItem(id: string, call: ToolCallFields, status: ItemStatus): JsonObject {
  const namespace = call.namespace ? { namespace: call.namespace } : {};
  if (call.custom) {
    const input = status === "in_progress" ? "" : customInput(call.arguments);
    return {
      id,
      type: "custom_tool_call",
      status,
      call_id: call.callId,
      name: call.name,
      input,
      ...namespace,
    };
  }
  return {
    id,
    type: "function_call",
    status,
    arguments: call.arguments,
    call_id: call.callId,
    name: call.name,
    ...namespace,
  };
}

const reasoningOf = (request: JsonObject): { effort?: unknown; summary?: unknown } =>
  typeof request.reasoning === "object" && request.reasoning !== null ? request.reasoning : {};

export const summaryPart = (text: string): JsonObject => ({ type: "summary_text", text });

/**
 * A chat server's reasoning text as a `reasoning` item (a summary), with `encrypted_content` only
 * where a Messages server signed its thinking block (`encrypted`: thinking-blocks.ts).
 */
export function reasoningItem(id: string, text: string, encrypted?: string): JsonObject {
  const item: JsonObject = { id, type: "reasoning", summary: text === "" ? [] : [summaryPart(text)] };
  if (encrypted !== undefined) item.encrypted_content = encrypted;
  return item;
}
