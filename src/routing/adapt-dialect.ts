import { dialectOf, isJsonObject, type JsonObject, type Operation } from "../core/dialect.ts";
import { badRequest, unsupportedOperation } from "../core/gateway-error.ts";
import type { SseEvent } from "../core/sse.ts";
import type { Provider } from "../providers/provider.ts";
import { chatResponseToMessages } from "../translate/anthropic-to-openai/chat-response-to-messages.ts";
import { chatStreamToMessages } from "../translate/anthropic-to-openai/chat-stream-to-messages.ts";
import { messagesRequestToChat } from "../translate/anthropic-to-openai/messages-request-to-chat.ts";
import { chatRequestToMessages } from "../translate/openai-to-anthropic/chat-request-to-messages.ts";
import { messagesResponseToChat } from "../translate/openai-to-anthropic/messages-response-to-chat.ts";
import { messagesStreamToChat } from "../translate/openai-to-anthropic/messages-stream-to-chat.ts";
import { chatResponseToResponse } from "../translate/responses/chat-response-to-response.ts";
import { chatStreamToResponses } from "../translate/responses/chat-stream-to-responses.ts";
import { responsesRequestToChat } from "../translate/responses/responses-request-to-chat.ts";

/** What a Responses call brings along: its id and the stored turns it continues. */
export interface ResponsesContext {
  readonly id: string;
  readonly previous: readonly JsonObject[];
  /** Receives the final `response` object (stream or not) so it can be stored. */
  readonly onResponse: (response: JsonObject) => void;
}

/** A call as the provider must receive it, and how to turn its reply back. */
export interface AdaptedCall {
  readonly operation: Operation;
  readonly body: JsonObject;
  json(body: JsonObject): JsonObject;
  /** Translates a stream into the caller's dialect; absent when the dialects match. */
  readonly stream?: (events: AsyncIterable<SseEvent>) => AsyncIterable<SseEvent>;
  /**
   * For a same-dialect stream, which events the caller gets (absent: all). A plain predicate,
   * not another stream layer: pass-through is the hot path.
   */
  readonly keep?: (event: SseEvent) => boolean;
  /**
   * Present when the call goes upstream in the caller's own dialect: the request's bytes and
   * the answer's bytes pass through (routing/native-reply.ts).
   */
  readonly native?: {
    /** `stream_options.include_usage` was added for accounting; the bytes need the same splice. */
    readonly forcedUsage: boolean;
  };
}

const identity: Pick<AdaptedCall, "json"> = { json: (body) => body };

/** The caller-dialect stream of an adapted call, as a stream transform (for composing). */
export function streamOf(call: AdaptedCall): (events: AsyncIterable<SseEvent>) => AsyncIterable<SseEvent> {
  if (call.stream) return call.stream;
  const keep = call.keep;
  return keep ? (events) => filterEvents(events, keep) : (events) => events;
}

async function* filterEvents(events: AsyncIterable<SseEvent>, keep: (event: SseEvent) => boolean) {
  for await (const event of events) if (keep(event)) yield event;
}

/**
 * The one place that decides whether a call crosses dialects. Same-dialect calls pass
 * through untouched (every unknown field kept); each translation lives in src/translate/,
 * one module per direction, and they compose (Responses → chat → Anthropic).
 */
export function adaptDialect(
  operation: Operation,
  body: JsonObject,
  provider: Provider,
  model: string,
  responses?: ResponsesContext,
): AdaptedCall {
  if (operation === "responses") return viaChat(body, provider, model, responses);
  if (dialectOf(operation) === provider.dialect) {
    if (
      provider.dialect === "openai" &&
      body.stream === true &&
      (operation === "chat" || operation === "completions")
    ) {
      return withForcedUsage(operation, body);
    }
    return { operation, body, ...identity, native: { forcedUsage: false } };
  }
  if (operation === "chat" && provider.dialect === "anthropic") {
    const includeUsage = isJsonObject(body.stream_options) && body.stream_options.include_usage === true;
    return {
      operation: "messages",
      body: chatRequestToMessages(body),
      json: (reply) => messagesResponseToChat(reply, model),
      stream: (events) => messagesStreamToChat(events, { requestedModel: model, includeUsage }),
    };
  }
  if (operation === "messages" && provider.dialect === "openai") {
    return {
      operation: "chat",
      body: messagesRequestToChat(body),
      json: (reply) => chatResponseToMessages(reply, model),
      stream: (events) => chatStreamToMessages(events, { requestedModel: model }),
    };
  }
  throw unsupportedOperation(`model ${model} is served by ${provider.name}, which cannot serve ${operation}`);
}

/** The Responses API, served by translation to chat completions (and on, when needed). */
function viaChat(
  body: JsonObject,
  provider: Provider,
  model: string,
  context?: ResponsesContext,
): AdaptedCall {
  if (!context) throw badRequest("responses need a response context");
  const chatBody = responsesRequestToChat(body, context.previous);
  const chat = adaptDialect("chat", chatBody, provider, model);
  const chatStream = streamOf(chat);
  return {
    operation: chat.operation,
    body: chat.body,
    json(reply) {
      const response = chatResponseToResponse(chat.json(reply), body, context.id);
      context.onResponse(response);
      return response;
    },
    stream: (events) =>
      chatStreamToResponses(chatStream(events), {
        request: body,
        id: context.id,
        onResponse: context.onResponse,
      }),
  };
}

/**
 * Token limits and audit need usage for every stream, so it is always requested upstream;
 * the extra usage-only chunk is removed again for callers that did not ask for it.
 */
function withForcedUsage(operation: Operation, body: JsonObject): AdaptedCall {
  const options = isJsonObject(body.stream_options) ? body.stream_options : {};
  if (options.include_usage === true) return { operation, body, ...identity, native: { forcedUsage: false } };
  return {
    operation,
    body: { ...body, stream_options: { ...options, include_usage: true } },
    json: identity.json,
    native: { forcedUsage: true },
    keep: (event) => !(USAGE_ONLY.test(event.data) && HAS_USAGE.test(event.data)),
  };
}

/** OpenAI's usage chunk is the one with an empty `choices` list. */
const USAGE_ONLY = /"choices"\s*:\s*\[\s*\]/;
const HAS_USAGE = /"usage"\s*:\s*\{/;
