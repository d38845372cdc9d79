import type { CancelHook } from "../core/cancel-hook.ts";
import type { Dialect, JsonObject, Operation } from "../core/dialect.ts";
import type { GatewayError } from "../core/gateway-error.ts";
import type { SseEvent } from "../core/sse.ts";
import type { TraceparentValue } from "../core/traceparent.ts";
import type { Usage } from "../core/usage.ts";
import type { ChatTarget } from "../translate/chat-target.ts";
import type { Dropped } from "../translate/dropped.ts";
import type { EmbeddingsTarget } from "../translate/embeddings-target.ts";
import type { EmbeddingsAsk } from "../translate/openai-embeddings.ts";
import type { AcceptedBetas } from "./accepted-betas.ts";
import type { StreamedAnswer } from "./http/streamed-answer.ts";
import type { WholeAnswer } from "./http/whole-answer.ts";
import type { WorkerFaults } from "./worker-faults.ts";

/** Bounds for one attempt on one route, in milliseconds. */
export interface AttemptTimeouts {
  /** Until the upstream's response headers arrive (streaming calls). */
  connectMs: number;
  /** Until the first byte of the answer: the first event of a stream, or the whole JSON reply. */
  firstByteMs: number;
  /** Longest silence between two stream events once streaming has begun. */
  idleMs: number;
}

/** One attempt at one upstream, already in the provider's own dialect. */
export interface ProviderCall {
  readonly operation: Operation;
  /** Request body in the provider's dialect; `model` is already the upstream model name. */
  readonly body: JsonObject;
  /**
   * The model as the client asked for it. A provider that writes the answer itself (Bedrock,
   * Gemini, Vertex AI, the mock) names it so, as every answer the gateway writes does (a translated
   * one too: docs/CLIENTS.md); absent, the upstream model.
   */
  readonly askedModel?: string | undefined;
  readonly stream: boolean;
  readonly requestId: string;
  /** Aborts when the client goes away or a timeout fires; providers must stop all upstream work. */
  readonly signal: AbortSignal;
  /**
   * The same abort as a hook (its `signal` is `signal`): a client that takes one (the lean
   * client, a worker tunnel) hooks its call in rather than listening on the signal.
   */
  readonly cancel?: CancelHook | undefined;
  readonly timeouts: AttemptTimeouts;
  /**
   * Set when the call goes upstream in the caller's own dialect: the provider sends these bytes,
   * headers and query string, and hands back its upstream's answer untouched (`kind: "http"`).
   * A provider that cannot (the mock) ignores it and answers as usual.
   */
  readonly native?: NativeRequest;
  /** The W3C `traceparent` for the upstream, sent as that header (core/traceparent.ts). */
  readonly traceparent?: TraceparentValue | undefined;
  /** The W3C `tracestate` sent beside `traceparent` as that header, never without it (core/tracestate.ts). */
  readonly tracestate?: string | undefined;
  /** `routing.max_upstream_body`: the most a whole (non-stream) answer may be; over it is a 502. */
  readonly maxBody?: number;
  /**
   * Set by the shadow (shadow/shadow-call.ts) on a `native` copy: a `fetch` that hands the request
   * to the shadow thread instead of sending it. A provider uses it only where it would send
   * through a plain network fetch (`plainFetch`); one with a `fetch` of its own ignores it.
   */
  readonly offload?: typeof fetch;
  /**
   * The route fails over on a content filter's refusal (`fallback_on: [content_policy]`,
   * `Route.refusalFailsOver`): a provider whose stream says in its first event that the prompt was
   * blocked (Gemini's `promptFeedback.blockReason`) throws the refusal then, before a byte is sent.
   */
  readonly refusalFailsOver?: boolean | undefined;
  /**
   * The attempt's usage meter, for a provider that translates its upstream's stream itself (Gemini,
   * Bedrock): each usage figure the upstream sends is recorded as it comes, not only as the last
   * translated chunk carries it. Gemini states the prompt's tokens in every event, so a stream the
   * client leaves, or that fails after it began, is charged what Google said.
   */
  readonly meter?: UsageRecorder | undefined;
  /**
   * An embeddings call to a provider with an `embeddingsTarget`: the request as the router read it
   * when it held the call against the target (`readEmbeddingsAsk`), so the provider does not read
   * the batch again. Absent (a call not made by the router), the provider reads `body` itself.
   */
  readonly embeddingsAsk?: EmbeddingsAsk | undefined;
}

/** Takes the usage figures of an answer as they come (the router's meter keeps the largest of each). */
export interface UsageRecorder {
  /** `model`: the one the event that reported them says answered, if it names one. */
  record(usage: Usage, model?: string): void;
}

/** A request `Provider.forward` sends under the provider's base URL. */
export interface ForwardRequest {
  readonly method: "GET" | "DELETE";
  /** Under the base URL, e.g. `/responses/resp_1/input_items`. */
  readonly path: string;
  /** With its `?`, or "". */
  readonly query: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly requestId: string;
  /** The caller's own `traceparent`, passed on unchanged (a stored response's read opens no span). */
  readonly traceparent?: string | undefined;
  /** The caller's own `tracestate`, passed on unchanged beside `traceparent`, never without it. */
  readonly tracestate?: string | undefined;
  readonly signal: AbortSignal;
}

/** What a same-dialect call passes through from the client's request. */
export interface NativeRequest {
  /** The body as received, with only `model` spliced in; absent: send `body` serialised. */
  readonly bytes?: Uint8Array<ArrayBuffer>;
  /** The client's dialect headers, from the allow-list (`anthropic-beta`, `openai-beta`, …). */
  readonly headers: Readonly<Record<string, string>>;
  /** The client's query string with its `?` (`?beta=true`), or "". */
  readonly query: string;
  /** The upstream path when it is not the operation's own (`/responses/compact`). */
  readonly path?: string;
}

/**
 * A provider's answer. A `stream` reply resolves only once the upstream accepted the call;
 * the router still may retry until the first event has been read.
 */
export type ProviderReply = (
  | {
      readonly kind: "json";
      readonly body: JsonObject;
      /**
       * What the upstream billed, where the provider read more of it than `body`'s usage can say
       * (Bedrock's hour-long cache writes): read in place of `body`'s usage (RouteAttempt
       * `readWhole`, a shadow copy's).
       */
      readonly usage?: Usage;
      /**
       * The model the upstream says answered, where the provider wrote `body` (`writesAnswers`):
       * Gemini's `modelVersion`. Unset: the route's model for such a provider, else `body`'s `model`.
       */
      readonly answeredModel?: string;
      /**
       * Set when the answer is a content filter's refusal of the prompt that came as an answer
       * (Gemini's `promptFeedback.blockReason`): the router fails over on it, as on a filter's
       * 400, where the model's `fallback_on` has `content_policy` (`Route.refusalFailsOver`);
       * otherwise `body` is the answer.
       */
      readonly refusal?: GatewayError;
    }
  | {
      readonly kind: "stream";
      readonly events: AsyncIterable<SseEvent>;
      /**
       * The events this stream ends with when it fails once started, when they are not the
       * dialect's usual (a translated Responses stream numbers its own, and fails its own
       * response). Set by the router.
       */
      readonly failureEvents?: (error: GatewayError) => SseEvent[];
    }
  /**
   * The upstream's answer as received, any status, body unread: only for a `native` call. A
   * successful event stream may come as a byte feed (`StreamedAnswer`), a body whole with its head
   * as bytes (`WholeAnswer`), instead of a `Response`.
   */
  | { readonly kind: "http"; readonly response: Response | StreamedAnswer | WholeAnswer }
) & {
  /** Who actually served it when the provider chose among several (`worker:<name>`). */
  readonly servedBy?: string;
};

/**
 * The whole contract between the router and an upstream. Failures are thrown as
 * GatewayError with a retry verdict; a provider never builds a client-facing response.
 */
export interface Provider extends WorkerFaults {
  readonly name: string;
  /**
   * Who serves its calls as the audit row names them, when that is more than `name`: a worker on
   * another cluster node, `worker:<name>@<node>`. A call that fails or is cancelled before any
   * answer (which would say who served it) is recorded under it.
   */
  readonly servedBy?: string;
  /** The dialect spoken upstream; the router translates when it differs from the caller's. */
  readonly dialect: Dialect;
  /**
   * Who serves the calls, as the OpenTelemetry GenAI conventions name it (`gen_ai.provider.name`:
   * `aws.bedrock`, `azure.ai.openai`, `gcp.gemini`, `gcp.vertex_ai`, `groq`, …). Unset: the
   * dialect (`openai`, `anthropic`), the best that is known of a server that speaks it (`vendorOf`).
   */
  readonly vendor?: string;
  /**
   * True when the provider forwards its dialect's HTTP API unchanged, so a same-dialect call may
   * pass through as bytes (`ProviderCall.native`). A provider that rewrites bodies on the way
   * (Gemini, Bedrock) leaves it unset and gets parsed bodies, as before.
   */
  readonly passThrough?: boolean;
  /**
   * Refuses an image or document by URL (a Messages `url` source, which Anthropic's API fetches):
   * Claude on Vertex AI ("URL sources are not supported"). A call with one is refused for the route
   * before it is sent (`unsupported_modality`), so the model's next route is tried.
   */
  readonly refusesUrlSources?: boolean;
  /**
   * Writes each answer itself, naming the model the caller asked (`ProviderCall.askedModel`):
   * Bedrock's Converse, Gemini, the mock. The model its upstream says answered is then only what it
   * tells (`ProviderReply.answeredModel`, `UsageRecorder.record`), else the route's, never the
   * `model` of what it wrote (telemetry's `gen_ai.response.model`).
   */
  readonly writesAnswers?: boolean;
  /**
   * Takes the caller's dialect headers (`passThrough`) but builds every body itself (Claude on
   * Bedrock and Vertex AI: the model in the URL, the version in the body): the caller's bytes are
   * never sent, so none are spliced for it, nor kept for it (routing/received-bytes.ts).
   */
  readonly rebuildsBody?: boolean;
  /**
   * Serves `count_tokens` with its vendor's own counter (Bedrock's CountTokens, Google's
   * countTokens): the call's body is the Anthropic request translated to chat, the reply
   * `{input_tokens}`. Where the vendor cannot count for the model it throws `unsupported_operation`,
   * and the gateway's own estimate answers.
   */
  readonly countsTokens?: boolean;
  /**
   * Set by a provider that takes chat calls and translates them to its vendor's own API itself
   * (Bedrock, Gemini): what that API can express of a chat request. The router names the rest
   * (`x-mindgw-dropped`, the audit row) or refuses it, as for the dialects it translates itself.
   * Such a provider serves no other call of its dialect but what it declares a target for
   * (`embeddingsTarget`): any other (completions) is refused before an attempt opens.
   */
  readonly chatTarget?: ChatTarget;
  /**
   * Set by a provider that takes embeddings calls and translates them to its vendor's own API
   * itself (Bedrock, Gemini, Vertex AI, the mock): what that API can take of an embeddings request.
   * The router names the rest or refuses it, as for `chatTarget`.
   */
  readonly embeddingsTarget?: EmbeddingsTarget;
  /**
   * anthropic: the `anthropic-beta` values the upstream takes (Claude on Bedrock and Vertex AI,
   * which refuse any other). A caller's other betas are left out and named (`x-mindgw-dropped`,
   * the audit row), or refused by `translation.unsupported`. Unset, every one goes as sent.
   */
  readonly acceptedBetas?: AcceptedBetas;
  /**
   * anthropic: the upstream is no Claude and takes back thinking Claude did not sign (DeepSeek's
   * `/anthropic`, which refuses a thinking-mode tool loop without it): such thinking in a
   * conversation goes as sent. Unset, it is left out and named (routing/claude-call.ts).
   */
  readonly takesUnsignedThinking?: boolean;
  /**
   * anthropic: the upstream takes Anthropic's automatic prompt caching, a top-level `cache_control`
   * (openai-to-anthropic/automatic-caching.ts): the provider's `automatic_caching`, by default set
   * on Anthropic's own API and Claude on Vertex AI, unset on any other server and on Bedrock.
   */
  readonly cachesAutomatically?: boolean;
  /** openai: the upstream serves the Responses API itself; `responses` calls pass through. */
  readonly responsesApi?: boolean;
  /**
   * openai: the most entries of `stop` the upstream takes (OpenAI's and Azure's chat API: 4, 400
   * "'stop': array too long"): a translation into chat sends the first so many and names the rest
   * (an Anthropic caller's `stop_sequences`, messages-request-to-chat.ts). Unset: its chat target's
   * bound (Gemini's 5, `ChatTarget.maxStops`), else every one goes (vLLM, llama.cpp and a worker's
   * server take more). A chat caller's own `stop` goes as sent.
   */
  readonly maxStops?: number;
  /**
   * openai: the upstream wants the reasoning it wrote back on the assistant turns of a
   * conversation, as `reasoning_content` beside `content` (DeepSeek's thinking mode refuses a
   * tool-call turn without it): a translation to chat carries there the reasoning it would leave
   * out for another upstream (an Anthropic caller's thinking blocks, messages-request-to-chat.ts; a
   * Responses caller's reasoning items, responses-request-to-chat.ts).
   * Set by the vendor's preset; unset, reasoning stays out (OpenAI refuses a field it does not know).
   */
  readonly wantsReasoningBack?: boolean;
  /**
   * openai: names in `dropped` what of a chat or embeddings request `body` (as the router adapted it) the provider
   * sends without, where its vendor's API refuses it (a preset's: Mistral's schema has no `user`,
   * mistral-left-out.ts), by the body's field (`user`; `messages.name` at `messages.1.name`). The
   * router calls it before the attempt, so each is named as a translation names what it cannot
   * carry, in the caller's words (`x-mindgw-dropped`, the audit row), or the call refused under
   * `translation.unsupported: reject`. What the API cannot take at all and the call cannot go
   * without (a file part to Mistral) it refuses through `dropped.refuse`, whatever the policy: the
   * route passed over. Unset: the provider sends every field it is given.
   */
  readonly leavesOut?: (body: JsonObject, dropped: Dropped) => void;
  /**
   * The top-level fields alone `leavesOut` names, where it names no others: a chat call that sets
   * none of them is sent as it is, not looked at (nothing made for it on the request path).
   * Unset: every call is looked at.
   */
  readonly leavesOutFields?: readonly string[];
  /**
   * For a provider that stands for several upstreams (the connected workers): the one that will
   * serve this call, chosen before the call is adapted, because what it serves natively
   * (`responsesApi`) and where a native answer is held (its `name`) depend on that upstream.
   * `holder` names the upstream holding the conversation a call continues: chosen when it can
   * serve. Only upstreams a caller of `tenant` may use are chosen (a worker of its own tenant or
   * of the default tenant). `avoid` names upstreams (as their providers are named) this request
   * already went to that were lost or refused it: never chosen, even as `holder`. Throws a
   * GatewayError (503) when none can.
   */
  select?(model: string, holder: string | undefined, tenant: string, avoid?: ReadonlySet<string>): Provider;
  /**
   * For such a provider: the upstream a shadow copy goes to, chosen as `select` chooses, but only
   * among those with a slot to spare beside the one the copy takes — a copy never takes an
   * upstream's last free slot, which a client's request may need. Undefined when every one that
   * serves the model is that busy (the copy is shed); throws as `select` does when none serves it.
   */
  spare?(model: string, tenant: string): Provider | undefined;
  /**
   * For such a provider: the upstream named `name` (`worker:<name>`), when it is connected and a
   * caller of `tenant` may use it.
   */
  holder?(name: string, tenant: string): Provider | undefined;
  /**
   * For such a provider: whether `refusal`, as `select` threw it, says an upstream serving the
   * model is only busy — it takes the call once one of its requests ends — rather than that none
   * takes calls now (none connected, or each draining: a draining worker takes nothing new).
   */
  onlyBusy?(refusal: GatewayError): boolean;
  /**
   * For one upstream `select` chose: `call` (its attempt, the call's `cancel`) was ended by the
   * longest bound any route gives the model with nothing answered. Judged as the upstream's own
   * fault when it said nothing meanwhile to any call (a worker whose model server hangs is taken out
   * of rotation after a few); one that answered something (a stream's head, another call) was slow,
   * not down, and is not judged. Told only then (routing/try-route.ts `attemptFailed`).
   */
  silenced?(call: CancelHook): void;
  /**
   * Forwards a request that is no model call (`GET /responses/{id}`) to the upstream as is, with
   * the provider's credentials. Only providers that pass through have it.
   */
  forward?(request: ForwardRequest): Promise<Response>;
  call(call: ProviderCall): Promise<ProviderReply>;
  /** Models the upstream reports, where it can say (`/v1/models`). */
  listModels?(signal: AbortSignal): Promise<string[]>;
  /**
   * Releases connections or timers: once a config reload has retired this provider and no version
   * in use still holds the same object, and on stop. A promise is awaited (on stop, within the
   * stop's time for providers); a rejection is a failure as a throw is.
   */
  close?(): void | Promise<void>;
}

/** `gen_ai.provider.name` for calls to `provider`: its vendor, else its dialect. */
export const vendorOf = (provider: Pick<Provider, "vendor" | "dialect">): string =>
  provider.vendor ?? provider.dialect;
