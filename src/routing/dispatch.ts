import type { AbortSource } from "../core/abort-followers.ts";
import type { JsonObject, Operation } from "../core/dialect.ts";
import type { Usage } from "../core/usage.ts";
import type { DispatchTelemetry } from "../telemetry/dispatch-telemetry.ts";
import type { ResponsesContext } from "./adapt-dialect.ts";
import type { ClientReply } from "./native-reply.ts";
import type { SpliceSite } from "./splice-body.ts";

/** A client's call, transport-neutral: every front door and tunnel comes through here. */
export interface DispatchRequest {
  readonly operation: Operation;
  /** Body in the caller's dialect, as received. */
  readonly body: JsonObject;
  readonly model: string;
  readonly stream: boolean;
  /** The caller's `x-request-id` when it sent a safe one, else the gateway's: for echo, logs and audit. */
  readonly requestId: string;
  /**
   * The gateway's own number for the request, unique in the process: what state kept per request
   * is keyed by (the shadow's pairs, a caller's shadow). Never the request id, which a caller
   * chooses and may give several requests, another tenant's as well.
   */
  readonly serial: number;
  /**
   * The caller's tenant: a route over connected workers takes only that tenant's workers and the
   * default tenant's (the platform's), so no tenant's prompt reaches another tenant's worker.
   */
  readonly tenant: string;
  /**
   * Aborts when the client disconnects: a signal, or who aborts the request and tells attempts
   * directly (no abort listener per attempt, no signal per request).
   */
  readonly signal: AbortSource;
  /** Only for `responses`: the id to answer under and the stored turns it continues. */
  readonly responses?: ResponsesContext;
  /**
   * The request as it arrived, for a route whose upstream speaks the caller's dialect: sent on
   * as received (only `model` spliced) with the dialect's headers and the query string.
   */
  readonly received?: ReceivedRequest;
  /** Told about each upstream attempt (metrics, spans); absent when both are off. */
  readonly telemetry?: DispatchTelemetry;
}

/** What the front door read off the client's request, for pass-through. */
export interface ReceivedRequest {
  /**
   * The body's bytes; `body` above is their one parse. Once a route renamed the model, the bytes
   * it was sent instead, `spliced` saying where the model is in them (splice-body.ts `splicedFor`):
   * the request holds its body's bytes once, the received ones let go. Undefined once a route
   * translated the request and neither a route left nor a shadow copy may send it as it came
   * (received-bytes.ts `letGoOfReceived`): it waited on that upstream holding them beside the
   * parsed body and the translated one — unless `bytesAudited` keeps them.
   */
  bytes: Uint8Array<ArrayBuffer> | undefined;
  spliced?: SpliceSite;
  /**
   * The audit row's request body is made from `bytes` (`audit.bodies`; splice-body.ts `asReceived`
   * undoes a splice): a route that renames the model still puts its splice, a new buffer, in their
   * place (the received buffer is never written), but they are never let go. A request whose
   * route renames the model holds its bytes once, where the row's own copy of the received ones
   * was a third.
   */
  readonly bytesAudited?: boolean;
  /**
   * What the body holds of thinking some route must change (thinking-found.ts `ThinkingFound`):
   * both set by one look, once a request (unsigned-thinking-in.ts); undefined until then.
   */
  unsignedThinking?: boolean | undefined;
  thinkingToMend?: boolean | undefined;
  /** The body as parsed, before any route changed it. */
  readonly body: JsonObject;
  /** The client's dialect headers, from the allow-list. */
  readonly headers: Readonly<Record<string, string>>;
  /** With its `?`, or "". */
  readonly query: string;
  /** The upstream path when it is not the operation's own (`/responses/compact`). */
  readonly path?: string;
}

/** A committed answer: from here on nothing is retried, and bytes may reach the client. */
export interface Dispatched {
  /** In the caller's dialect. A stream starts with the event that was already read. */
  readonly reply: ClientReply;
  /**
   * `provider:<name>` or `worker:<name>`; null, as `upstreamModel` is, when no upstream served it
   * and the gateway answered itself (count_tokens' estimate).
   */
  readonly route: string | null;
  readonly upstreamModel: string | null;
  /** What the answer used so far; final once the stream has ended. */
  usage(): Usage;
  /**
   * The model the upstream says answered (its answer's `model`: OpenAI's dated snapshot for the
   * name it was asked, say), once read with the answer's usage; undefined where it named none, or
   * the gateway answered itself.
   */
  answeredModel(): string | undefined;
  /** Calls sent upstream, this answer's included. */
  readonly attempts: number;
  /** What translation left out for this route, by name; empty when nothing was. */
  readonly dropped: readonly string[];
}
