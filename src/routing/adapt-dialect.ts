import { dialectOf, type JsonObject, type Operation } from "../core/dialect.ts";
import { badRequest, unsupportedOperation } from "../core/gateway-error.ts";
import type { SseEvent } from "../core/sse.ts";
import type { Usage } from "../core/usage.ts";
import { DEFAULT_MAX_UPSTREAM_BODY } from "../providers/http/read-bounded.ts";
import type { Provider } from "../providers/provider.ts";
import { estimateInputTokens } from "../translate/anthropic-to-openai/count-tokens-estimate.ts";
import { Dropped, type UnsupportedPolicy } from "../translate/dropped.ts";
import { parseBody } from "../translate/parse-body.ts";
import { chatResponseToResponse } from "../translate/responses/chat-response-to-response.ts";
import { chatStreamToResponses } from "../translate/responses/chat-stream-to-responses.ts";
import { compactionItem, compactionResponse, summaryOf } from "../translate/responses/compaction.ts";
import { responsesParam } from "../translate/responses/input-item-checks.ts";
import { inputItems } from "../translate/responses/input-items.ts";
import type { ReferencedItems } from "../translate/responses/item-references.ts";
import { MessagesToResponsesWriter } from "../translate/responses/messages-to-responses-writer.ts";
import {
  type ChatFromResponses,
  responsesRequestToChat,
} from "../translate/responses/responses-request-to-chat.ts";
import { responsesRequest } from "../translate/responses/responses-schema.ts";
import { readMessagesEvent } from "../translate/stream/messages-event-reader.ts";
import { type TranslatedStream, translateStream } from "../translate/stream/stream-driver.ts";
import type { CallerNames } from "./caller-param.ts";
import { chatUpstreamNeeds } from "./chat-upstream-needs.ts";
import { countTokensViaChat, messagesViaChat } from "./messages-via-chat.ts";
import { identity, sameDialect } from "./same-dialect-call.ts";
import { type Target, translatedChat, translatesChat } from "./translated-chat.ts";
import { type HintNames, translationHints } from "./translation-hints.ts";

/** What a Responses call brings along: its id and the stored turns it continues. */
export interface ResponsesContext {
  readonly id: string;
  readonly previous: readonly JsonObject[];
  /**
   * The stored items the request's `item_reference`s name, by id, in the caller's scope: a
   * translation sends each in its reference's place (an upstream with the Responses API is sent
   * the reference, as the client wrote it).
   */
  readonly referenced?: ReferencedItems;
  /** The provider that holds the previous response upstream, when it answered natively. */
  readonly previousHolder?: string;
  /** `POST /v1/responses/compact`: served by native routes only, nothing stored. */
  readonly compact?: boolean;
  /**
   * Receives the final `response` object (stream or not) so it can be stored; `holder` names
   * the provider when it answered natively (the response keeps the upstream's id).
   */
  readonly onResponse: (response: JsonObject, holder?: string) => void;
}

/** A call as the provider must receive it, and how to turn its reply back. */
export interface AdaptedCall {
  readonly operation: Operation;
  readonly body: JsonObject;
  json(body: JsonObject): JsonObject;
  /**
   * Translates a stream into the caller's dialect (absent when the dialects match), telling
   * `onUsage` each usage figure as it reads it, so each upstream event is parsed once. `maxBody`
   * (`routing.max_upstream_body`, the most a whole answer may be) bounds what a translation that
   * gathers the answer as it streams (into Responses events) may hold.
   */
  readonly stream?: (
    events: AsyncIterable<SseEvent>,
    onUsage?: (usage: Usage) => void,
    maxBody?: number,
  ) => TranslatedStream;
  /** What translation had to leave out, by name (the `x-mindgw-dropped` header, the audit row). */
  readonly dropped?: readonly string[];
  /**
   * The caller's names of fields the translation wrote under others, by the name written: an
   * upstream error's `param` is said in the caller's words (caller-param.ts).
   */
  readonly callerNames?: CallerNames;
  /**
   * What the translation wrote that only tunes the answer, none of it sent so by the caller (an
   * effort level), by its path in `body`, with the caller's name for it: an upstream that refuses
   * one gets the call again without it (translation-hints.ts).
   */
  readonly hints?: CallerNames;
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
    /** The body was rewritten beyond the model (a Responses chain expanded): serialise it. */
    readonly rewritten?: boolean;
    /** Receives a native Responses answer's final `response` object, to store it. */
    readonly answered?: (response: JsonObject) => void;
  };
}

/**
 * What the gateway answers itself when no route's upstream can serve the operation: count_tokens
 * gets an estimate from a real tokenizer (translate/anthropic-to-openai/count-tokens-estimate.ts)
 * instead of a 400 — on an OpenAI-type route, or a cloud route whose vendor cannot count for the
 * model. Undefined for every other operation.
 */
export function localAnswer(operation: Operation, body: JsonObject): Promise<JsonObject> | undefined {
  return operation === "count_tokens" ? estimateInputTokens(body) : undefined;
}

/**
 * The one place that decides whether a call crosses dialects. Same-dialect calls pass
 * through untouched (every unknown field kept); each translation lives in src/translate/,
 * one module per direction, and they compose (Responses → chat → Anthropic). `model` is the
 * caller's, as its answer names it; `upstreamModel` the route's, which a translation may need to
 * know (the most an Anthropic model may write, when the caller set no bound).
 */
export function adaptDialect(
  operation: Operation,
  body: JsonObject,
  provider: Provider,
  model: string,
  responses?: ResponsesContext,
  policy: UnsupportedPolicy = "drop",
  upstreamModel = model,
): AdaptedCall {
  // The translations' target is made in their branches only: the pass-through call needs none.
  if (operation === "responses") {
    if (responses && provider.dialect === "openai" && provider.responsesApi && provider.passThrough) {
      return nativeResponses(body, provider, responses);
    }
    const target = { provider, upstreamModel };
    if (responses?.compact) return compactViaChat(body, target, model, responses, policy);
    return viaChat(body, target, model, responses, policy);
  }
  if (operation === "chat" && translatesChat(provider))
    return translatedChat(body, { provider, upstreamModel }, model, new Dropped(policy));
  if (dialectOf(operation) === provider.dialect) return sameDialect(operation, body, provider);
  if (operation === "messages" && provider.dialect === "openai")
    return messagesViaChat(body, provider, model, policy);
  if (operation === "count_tokens" && provider.countsTokens) return countTokensViaChat(body);
  throw unsupportedOperation(`model ${model} is served by ${provider.name}, which cannot serve ${operation}`);
}

/**
 * The chat call a Responses call became, on `provider`: what the chat step cannot carry is named
 * as the caller knows it (`text.verbosity`, not the chat request's `verbosity`).
 */
function chatOf(
  translated: ChatFromResponses,
  target: Target,
  model: string,
  policy: UnsupportedPolicy,
): AdaptedCall {
  const body = translated.body;
  if (!translatesChat(target.provider)) return adaptDialect("chat", body, target.provider, model);
  // A compaction's `tool_choice: "none"` is the gateway's (the summary is text), not the caller's:
  // an API that cannot forbid calls goes without it, unnamed, and is never refused for it.
  const { tool_choice: _ours, ...asked } = body;
  return translatedChat(
    body,
    target,
    model,
    new Dropped(policy, RESPONSES_NAMES),
    translated.compact ? asked : body,
  );
}

/** Chat fields a Responses call sets under another name (responses-request-to-chat.ts). */
const RESPONSES_NAMES: CallerNames = {
  verbosity: "text.verbosity",
  logprobs: "top_logprobs",
  top_logprobs: "top_logprobs",
  max_tokens: "max_output_tokens",
  max_completion_tokens: "max_output_tokens",
  response_format: "text.format",
  reasoning_effort: "reasoning.effort",
};

/** The caller's names for what a translation may write of its own: a Responses caller's. */
const RESPONSES_HINTS: HintNames = { effort: "reasoning.effort", bound: "max_output_tokens" };

/** What both steps of a composed translation dropped, each name once. */
const bothDropped = (first: readonly string[], second: AdaptedCall): readonly string[] =>
  second.dropped?.length ? [...new Set([...first, ...second.dropped])] : first;

/**
 * What a Responses call sends once translated to chat (and on), and says in the caller's words:
 * what was dropped, an error's `param`, and what it set of its own (`reasoning.effort` written as
 * `reasoning_effort` or `output_config.effort`, which the caller never sends so; Messages'
 * `max_tokens` for a caller without `max_output_tokens`).
 */
const sentViaChat = (translated: ChatFromResponses, chat: AdaptedCall) => ({
  operation: chat.operation,
  body: chat.body,
  dropped: bothDropped(translated.dropped, chat),
  callerNames: RESPONSES_NAMES,
  hints: translationHints(chat.body, translated.body, RESPONSES_HINTS),
});

// The translations' closures are made in these helpers (and in translated-chat.ts): a closure in
// `adaptDialect` over `model` would make its scope (two, with the default parameter) an object on
// every call, the common same-dialect call included.

/**
 * The Responses API passed through to an upstream that serves it. A chain stays where it is
 * held; a chain the gateway holds (built by translation, or held by another provider) moves
 * here expanded from the gateway's store: its turns inlined, `previous_response_id` removed.
 */
function nativeResponses(body: JsonObject, provider: Provider, context: ResponsesContext): AdaptedCall {
  const answered = context.compact
    ? undefined
    : (response: JsonObject) => context.onResponse(response, provider.name);
  const native = { forcedUsage: false, ...(answered ? { answered } : {}) };
  if (context.previous.length === 0 || context.previousHolder === provider.name) {
    return { operation: "responses", body, ...identity, native };
  }
  const { previous_response_id: _held, ...rest } = body;
  const input = [...context.previous, ...inputItems(body.input)];
  return {
    operation: "responses",
    body: { ...rest, input },
    ...identity,
    native: { ...native, rewritten: true },
  };
}

/**
 * The Responses API, served by translation to chat completions (and on, when needed). Two
 * translations compose: Responses → chat here, and chat → the provider's dialect; on the way
 * back the provider's stream is first made a chat stream, then a Responses stream.
 */
function viaChat(
  body: JsonObject,
  target: Target,
  model: string,
  context: ResponsesContext | undefined,
  policy: UnsupportedPolicy,
): AdaptedCall {
  if (!context) throw badRequest("responses need a response context");
  const translated = responsesRequestToChat(
    body,
    context.previous,
    policy,
    context.referenced,
    chatUpstreamNeeds(target.provider),
  );
  const chat = chatOf(translated, target, model, policy);
  const { tools, compact } = translated;
  return {
    ...sentViaChat(translated, chat),
    json(reply) {
      const answer = chat.json(reply);
      const response = chatResponseToResponse(answer, body, context.id, tools);
      // A compaction (Codex's `compaction_trigger`): the summary as the one `compaction` item.
      const out = compact
        ? { ...response, output: [compactionItem(summaryOf(answer), context.id)] }
        : response;
      context.onResponse(out);
      return out;
    },
    stream(events, onUsage, maxBody = DEFAULT_MAX_UPSTREAM_BODY) {
      // Every stream goes through the one translation loop (translate/stream/stream-translation.ts).
      // Nothing is filtered first: the chat request asks for usage itself (responses-request-to-
      // chat.ts), so `chat.keep` is never set here and the usage chunk is read by the writer.
      // The answer is gathered for the last events and the store: no more than a whole answer.
      const options = {
        request: body,
        id: context.id,
        onResponse: context.onResponse,
        tools,
        maxOutput: maxBody,
      };
      if (compact) {
        // Through chat chunks, whatever the upstream: the one writer that can hold back a summary.
        // Usage is counted where it is read first: by the upstream's own translation, if any.
        const asChat = chat.stream ? chat.stream(events, onUsage).events : events;
        return chatStreamToResponses(asChat, {
          ...options,
          compaction: true,
          ...(onUsage && !chat.stream ? { onUsage } : {}),
        });
      }
      if (target.provider.dialect === "anthropic") {
        // Anthropic events straight to Responses events: each event parsed once (no chat stream
        // encoded and re-read in between).
        const writer = new MessagesToResponsesWriter(model, options);
        return translateStream(events, readMessagesEvent, writer, onUsage);
      }
      return chatStreamToResponses(events, { ...options, ...(onUsage ? { onUsage } : {}) });
    },
  };
}

/**
 * `POST /v1/responses/compact` where the upstream has no Responses API: the model is asked for
 * a summary turn over the conversation, and the summary comes back as the one `compaction`
 * item OpenAI's API would return (translate/responses/compaction.ts). Never streamed.
 */
function compactViaChat(
  body: JsonObject,
  target: Target,
  model: string,
  context: ResponsesContext,
  policy: UnsupportedPolicy,
): AdaptedCall {
  const { stream: _stream, ...request } = body;
  // The same summary request as Codex's in-stream compaction: the input, then a trigger.
  const input = [
    ...inputItems(parseBody(responsesRequest, request, "request", responsesParam).input),
    { type: "compaction_trigger" },
  ];
  const translated = responsesRequestToChat(
    { ...request, input },
    context.previous,
    policy,
    context.referenced,
    chatUpstreamNeeds(target.provider),
  );
  const chat = chatOf(translated, target, model, policy);
  return {
    ...sentViaChat(translated, chat),
    json: (reply) => compactionResponse(chat.json(reply), context.id),
  };
}
