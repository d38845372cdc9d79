import type { JsonObject, Operation } from "../core/dialect.ts";
import type { SseEvent } from "../core/sse.ts";
import type { Provider } from "../providers/provider.ts";
import { choosesAllowedTools, withAllowedToolsOffered } from "../translate/allowed-tools.ts";
import { CallerPaths, CHAT_FIELDS } from "../translate/caller-paths.ts";
import { customToolsAsFunctions } from "../translate/chat-custom-tools.ts";
import { Dropped, type UnsupportedPolicy } from "../translate/dropped.ts";
import { refuseEmptyMessages } from "../translate/empty-messages.ts";
import { refuseForcedCallWithoutTools } from "../translate/forced-call-without-tools.ts";
import type { EmbeddingsAsk } from "../translate/openai-embeddings.ts";
import { refuseUnreadableFormat } from "../translate/response-format-shape.ts";
import type { ItemHolders, ReferencedItems } from "../translate/responses/item-references.ts";
import { withoutSettingsAskingNothing } from "../translate/settings-asking-nothing.ts";
import type { TranslatedStream } from "../translate/stream/stream-driver.ts";
import type { UsageSeen } from "../translate/stream/stream-translation.ts";
import type { CallerNames, CallerNaming } from "./caller-param.ts";
import { type CallerDialect, claudeCall } from "./claude-call.ts";
import { withCustomCallsBack } from "./custom-tools-call.ts";
import { withLeftOutNamed } from "./left-out-named.ts";
import { countTokensViaChat, messagesViaChat } from "./messages-via-chat.ts";
import { nativeResponses } from "./native-responses.ts";
import { compactViaChat, responsesViaChat } from "./responses-via-chat.ts";
import { sameDialect } from "./same-dialect-call.ts";
import { cannotServe, goesAsSent, translates } from "./serves-operation.ts";
import { translatedChat } from "./translated-chat.ts";
import { translatedEmbeddings } from "./translated-embeddings.ts";

/** What a Responses call brings along: its id and the stored turns it continues. */
export interface ResponsesContext {
  readonly id: string;
  readonly previous: readonly JsonObject[];
  /**
   * The stored items the request's `item_reference`s name, by id, in the caller's scope: a
   * translation sends each in its reference's place, and so does a route serving the Responses API
   * itself, unless the item is its own (`itemHolders`), which it is sent the reference to, as
   * the client wrote it.
   */
  readonly referenced?: ReferencedItems;
  /**
   * Who holds upstream, under its id, each item the request carries with one (the stored
   * conversation's, the input's, the referenced ones), where the gateway can tell: a route serving
   * the Responses API itself is sent the ids of its own items alone, which it resolves (and links
   * reasoning to calls by); any other item goes without the id it would look up and not find.
   */
  readonly itemHolders?: ItemHolders;
  /**
   * Ids of the request's own input items that the caller's scope does not hold (an item's id
   * other than an `item_reference`'s): a native upstream, which would resolve them across the
   * account every caller shares, gets those items without them; a bare reasoning item (its id
   * alone) is OpenAI's 404 for an unknown item (item-references.ts `withoutForeignIds`). A
   * translation sends no item ids.
   */
  readonly foreignIds?: ReadonlySet<string>;
  /** The provider that holds the previous response upstream, when it answered natively. */
  readonly previousHolder?: string;
  /** `POST /v1/responses/compact`: served by native routes only, nothing stored. */
  readonly compact?: boolean;
  /**
   * Receives the final `response` object (stream or not) so it can be stored; `holder` names
   * the provider when it answered natively (the response keeps the upstream's id).
   */
  readonly onResponse: (response: JsonObject, holder?: string) => void;
  /**
   * Receives the response a translated stream that failed after it began ends with (status
   * `failed`, its error, its output so far), to store it; nothing waits for that save.
   */
  readonly onFailed?: (response: JsonObject) => void;
}

/** A call as the provider must receive it, and how to turn its reply back. */
export interface AdaptedCall {
  readonly operation: Operation;
  readonly body: JsonObject;
  /**
   * The answer in the caller's dialect. `sent`: the body as the attempt sent it (its hints
   * applied), for what the answer is read against (a translation's bound on it: cut-tool-call.ts).
   */
  json(body: JsonObject, sent?: JsonObject): JsonObject;
  /**
   * A translated call's request as the caller sent it (absent where the answer goes back as the
   * upstream gave it): a whole answer whose upstream reported no usage is estimated from its prompt,
   * as a translated stream's is, and told the caller (attempt-answer.ts `withUsageTold`).
   */
  readonly prompt?: JsonObject;
  /**
   * Translates a stream into the caller's dialect (absent when the dialects match), telling
   * `onUsage` each usage figure as it reads it, so each upstream event is parsed once. `maxBody`
   * (`routing.max_upstream_body`, the most a whole answer may be) bounds what a translation holds
   * as it streams: the answer gathered into Responses events, a tool call's arguments into Messages.
   */
  readonly stream?: (
    events: AsyncIterable<SseEvent>,
    onUsage?: UsageSeen,
    maxBody?: number,
    sent?: JsonObject,
  ) => TranslatedStream;
  /** What translation had to leave out, by name (the `x-mindgw-dropped` header, the audit row). */
  readonly dropped?: readonly string[];
  /** An embeddings call a provider translates itself: the request as its target's check read it. */
  readonly embeddingsAsk?: EmbeddingsAsk;
  /**
   * The caller's names of fields the translation wrote under others, by the name written: an
   * upstream error's `param` is said in the caller's words (caller-param.ts).
   */
  readonly callerNames?: CallerNaming;
  /**
   * Where the chat request's messages, parts and calls came from in the caller's request: an error's
   * `param` that names one is said as the caller's (caller-param.ts).
   */
  readonly callerPaths?: CallerPaths;
  /**
   * What of `body` only tunes the answer and the route's model may refuse where the caller's own
   * API takes it (an effort level in the other dialect's words, `top_p` beside `temperature` to
   * Claude), by its path in `body`, with the caller's name for it: an upstream that refuses one
   * gets the call again without it (translation-hints.ts finds them, refused-hint.ts
   * matches the refusal).
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
    /**
     * The `previous_response_id` the caller sent and the body went without (a chain the gateway
     * held, sent expanded): the answer says it where the upstream said null, as a chain the
     * upstream held would (previous-response-id.ts), and so does the response stored.
     */
    readonly previousId?: string;
    /**
     * The caller's dialect headers as the upstream takes them, when not as received: the betas
     * Claude on Bedrock or Vertex AI refuses left out of `anthropic-beta` (claude-call.ts).
     */
    readonly headers?: Readonly<Record<string, string>>;
    /**
     * An embeddings call that asked `encoding_format: "base64"`: an answer whose vectors are number
     * arrays all the same is re-encoded for the caller (translate/base64-embeddings.ts).
     */
    readonly base64Embeddings?: boolean;
  };
}

/**
 * The one place that decides whether a call crosses dialects. Same-dialect calls pass
 * through untouched (every unknown field kept), but for what Claude would refuse the whole request
 * for (claude-call.ts); each translation lives in src/translate/,
 * one module per direction, and they compose (Responses → chat → Anthropic). `model` is the
 * caller's, as its answer names it; `upstreamModel` the route's, which a translation may need to
 * know (the most an Anthropic model may write, when the caller set no bound). `received` is the
 * request as it came: its dialect headers (`anthropic-beta`, of which Claude on a cloud takes only
 * some), and whether its body carries thinking Claude did not sign, asked once a request.
 */
export function adaptDialect(
  operation: Operation,
  body: JsonObject,
  provider: Provider,
  model: string,
  responses?: ResponsesContext,
  policy: UnsupportedPolicy = "drop",
  upstreamModel = model,
  received?: CallerDialect,
): AdaptedCall {
  const adapted = adaptedCall(operation, body, provider, model, responses, policy, upstreamModel, received);
  // What the provider then sends a chat or embeddings request without (Mistral's schema: `user`
  // on either) is named too.
  const leavesOut = provider.leavesOut;
  if (leavesOut === undefined || (adapted.operation !== "chat" && adapted.operation !== "embeddings"))
    return adapted;
  const only = provider.leavesOutFields;
  if (only !== undefined && !setsAny(adapted.body, only)) return adapted;
  return withLeftOutNamed(adapted, leavesOut, policy);
}

/** Whether `body` sets any of `fields` (a loop: no closure on the request path). */
function setsAny(body: JsonObject, fields: readonly string[]): boolean {
  for (const field of fields) if (body[field] !== undefined) return true;
  return false;
}

// The translations' closures are made in their own helpers (native-responses.ts,
// responses-via-chat.ts, translated-chat.ts): a closure in `adaptDialect` over `model` would make
// its scope (two, with the default parameter) an object on every call, the common same-dialect
// call included.

/** `adaptDialect`'s call, before what the provider leaves out of it is named. */
function adaptedCall(
  operation: Operation,
  body: JsonObject,
  provider: Provider,
  model: string,
  responses: ResponsesContext | undefined,
  policy: UnsupportedPolicy,
  upstreamModel: string,
  received: CallerDialect | undefined,
): AdaptedCall {
  if (goesAsSent(operation, provider, responses)) {
    if (operation === "responses" && responses) return nativeResponses(body, provider, responses);
    // To Claude, without what it would refuse the request for (claude-call.ts).
    if (provider.dialect === "anthropic")
      return claudeCall(operation, body, provider, received, policy, upstreamModel);
    return sameDialect(operation, body, provider);
  }
  if (!translates(operation, provider)) throw cannotServe(operation, provider, model);
  // The translations' target is made in their branches only: the pass-through call needs none.
  if (operation === "responses") {
    const target = { provider, upstreamModel };
    if (responses?.compact) return compactViaChat(body, target, model, responses, policy);
    return responsesViaChat(body, target, model, responses, policy);
  }
  if (operation === "chat") {
    // A chat caller's own conversation (a Responses caller's `input` is judged as its API does).
    refuseEmptyMessages(body);
    refuseForcedCallWithoutTools(body);
    refuseUnreadableFormat(body);
    // Custom tools as functions, which every target takes; their calls back as custom calls.
    const custom = customToolsAsFunctions(body);
    // OpenAI's `allowed_tools` choice as every target reads it: those tools alone, its mode the choice.
    // What asks for nothing there (no tools, no stream) goes without, named.
    // Its offered tools, by their index among the caller's (made only for that choice).
    const paths = choosesAllowedTools(body) ? new CallerPaths(CHAT_FIELDS) : undefined;
    const dropped = new Dropped(policy, {}, paths);
    const offered = withAllowedToolsOffered(custom?.body ?? body, paths);
    const call = translatedChat(
      withoutSettingsAskingNothing(offered, dropped),
      { provider, upstreamModel },
      model,
      dropped,
      paths,
    );
    return custom ? withCustomCallsBack(call, custom) : call;
  }
  if (operation === "messages") return messagesViaChat(body, provider, model, policy, upstreamModel);
  if (operation === "count_tokens") return countTokensViaChat(body, provider, upstreamModel);
  if (operation === "embeddings" && provider.embeddingsTarget)
    return translatedEmbeddings(
      body,
      provider.embeddingsTarget,
      { provider, upstreamModel },
      new Dropped(policy),
    );
  // No call is left that `translates` lets through; one added there without a branch here is refused.
  throw cannotServe(operation, provider, model);
}
