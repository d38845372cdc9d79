import { shown } from "./cut-words.ts";
import type { Dialect } from "./dialect.ts";
import type { Usage } from "./usage.ts";

/**
 * Every failure the gateway reports is a GatewayError: it carries the HTTP status, a stable
 * code, and whether trying again (another attempt or another route) could help. Front doors
 * turn it into the caller's dialect in one place (core/error-wire.ts); nothing else
 * builds error bodies.
 */
export type ErrorCode =
  | "invalid_json"
  | "invalid_request"
  | "missing_model"
  | "model_not_found"
  /** The route's provider cannot serve this operation; the router tries the next route. */
  | "unsupported_operation"
  /**
   * The route's upstream cannot answer in the form the call asks for (audio, of an API that answers
   * in text only): the router tries the next route, and the caller hears it only when none can.
   */
  | "unsupported_modality"
  /** The prompt does not fit the model's context window (OpenAI's own code, kept across dialects). */
  | "context_length_exceeded"
  | "not_found"
  /** A routed path asked with a method it does not take (405, its `Allow` header naming those it does). */
  | "method_not_allowed"
  /** A WebSocket endpoint asked with a plain GET (426, `Upgrade: websocket`). */
  | "upgrade_required"
  /** `previous_response_id` names no response this caller may continue (OpenAI's own code, a 400). */
  | "previous_response_not_found"
  | "unauthorized"
  | "forbidden"
  | "payload_too_large"
  | "rate_limited"
  | "budget_exceeded"
  | "upstream_error"
  /**
   * The upstream refused the gateway itself (401, 403): its credentials or its permissions, never
   * the caller's. A 502; the route is failed over and its breaker counts it.
   */
  | "upstream_auth"
  /**
   * The gateway's account with the upstream cannot pay for the call (402, Anthropic's
   * `billing_error` and credit or spend-limit refusals, OpenAI's `insufficient_quota`): a 502, as
   * `upstream_auth` is; the operator, not the caller, can mend it.
   */
  | "upstream_account"
  | "upstream_timeout"
  | "no_route_available"
  | "worker_lost"
  | "unavailable"
  | "audit_unavailable"
  /** The shared database (PostgreSQL) cannot be reached; the gateway reconnects by itself. */
  | "storage_unavailable"
  /**
   * A write the shared database was sent but never confirmed (its connection lost, or its cancel
   * unanswered): it may have applied. Not retried by the gateway; the caller checks first.
   */
  | "storage_outcome_unknown"
  /** The gateway is at `server.max_concurrent_requests`; sent at once, never queued. */
  | "over_capacity"
  | "internal_error"
  /** The client went away before the answer was complete (recorded as status 499). */
  | "client_closed";

/**
 * One of the gateway's own limits: `requests` a key's or tenant's rpm (or the per-address cap,
 * `server.max_client_requests`), `tokens` their tpm, `budget` a spend budget.
 */
export type GatewayLimit = "requests" | "tokens" | "budget";

export interface GatewayErrorInit {
  status: number;
  code: ErrorCode;
  message: string;
  /** True when another attempt (same route after backoff, or the next route) may succeed. */
  retryable?: boolean;
  /**
   * False for a retryable failure the same route would meet again at once: its upstream refused
   * the gateway's credentials, account or deployment, or the request itself lacks what the route
   * needs (Gemini's MISSING_THOUGHT_SIGNATURE). The router goes on to the next route, no retry of
   * this one; when no route was left that might serve a later try, the caller is told not to
   * retry (`x-should-retry: false`, routing/retry-advice.ts).
   */
  sameRouteAgain?: boolean;
  /**
   * False for a failure every route whose provider writes the same vendor API would meet for this
   * request (`Provider.chatTarget`: the Gemini API and Vertex AI's Gemini share theirs), as
   * Gemini's MISSING_THOUGHT_SIGNATURE is (the request's history lacks the signature): the
   * model's other routes of that API are passed over, unbilled; a route of another API is tried.
   */
  sameApiAgain?: boolean;
  /**
   * False for a retryable failure the caller's own request likely brought on (a Gemini turn that
   * ended in a malformed tool call): the next route may do better, but the route is up, so its
   * breaker does not count it — two such prompts must not take the route away from every caller.
   */
  countsAgainstRoute?: boolean;
  /**
   * The upstream has no route for the call's path (core/upstream-fault.ts `path`: an operation its
   * server lacks, or a wrong `base_url`). No breaker counts it, so a route with a fallback would
   * fail so unseen on every call: metrics count its attempts apart
   * (`mindgw_upstream_attempts_total{outcome="no_such_path"}`), which an alert names.
   */
  noSuchPath?: boolean;
  /**
   * What the upstream billed for the call that failed (a Gemini turn that ended in failure, a
   * prompt its filter blocked): the request is charged for it and its audit row counts it, as an
   * answer's usage is (audit/attempt-log.ts).
   */
  usage?: Usage;
  /** The request field at fault, where there is one (OpenAI's `param`). */
  param?: string;
  /**
   * The `code` an OpenAI caller is told where OpenAI's own API says another than the gateway's
   * (null: it says none, as for a response unknown by id); the record keeps `code`.
   */
  openAICode?: string | null;
  /** Extra response headers, e.g. Retry-After and x-ratelimit-* on a 429. */
  headers?: Record<string, string>;
  /** What an upstream said, when this error is its answer (see core/upstream-error.ts). */
  upstream?: UpstreamErrorDetail;
  /**
   * On the gateway's own 429s, the limit that refused: a 429 without it is an upstream's, relayed
   * (metrics count the two apart). A custom `Policy` that refuses with a 429 should set it too.
   */
  refusedBy?: GatewayLimit;
  /** What was thrown that this error stands for, for the log alone (never the answer). */
  cause?: unknown;
  /**
   * Why, for the log line only (never sent): what the uniform 401 keeps from the client, such as
   * which claim of a JWT failed. Never a credential.
   */
  detail?: string;
}

export class GatewayError extends Error {
  readonly status: number;
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly sameRouteAgain: boolean;
  readonly sameApiAgain: boolean;
  readonly countsAgainstRoute: boolean;
  readonly noSuchPath: boolean;
  readonly usage: Usage | undefined;
  readonly param: string | undefined;
  readonly openAICode: string | null | undefined;
  readonly headers: Record<string, string>;
  readonly upstream: UpstreamErrorDetail | undefined;
  readonly refusedBy: GatewayLimit | undefined;
  readonly detail: string | undefined;

  constructor(init: GatewayErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = "GatewayError";
    this.status = init.status;
    this.code = init.code;
    this.retryable = init.retryable ?? false;
    this.sameRouteAgain = init.sameRouteAgain ?? true;
    this.sameApiAgain = init.sameApiAgain ?? true;
    this.countsAgainstRoute = init.countsAgainstRoute ?? true;
    this.noSuchPath = init.noSuchPath ?? false;
    this.usage = init.usage;
    this.param = init.param;
    this.openAICode = init.openAICode;
    this.headers = init.headers ?? {};
    this.upstream = init.upstream;
    this.refusedBy = init.refusedBy;
    this.detail = init.detail;
  }

  /**
   * This error with `changes` (its headers, say), every other field as it is, made as `Kind`: a
   * plain GatewayError unless told, whatever this one's class said of it.
   */
  with(changes: Partial<GatewayErrorInit>): GatewayError;
  with<E extends GatewayError>(
    changes: Partial<GatewayErrorInit>,
    Kind: new (init: GatewayErrorInit) => E,
  ): E;
  with(
    changes: Partial<GatewayErrorInit>,
    Kind: new (init: GatewayErrorInit) => GatewayError = GatewayError,
  ): GatewayError {
    return new Kind({
      status: this.status,
      code: this.code,
      message: this.message,
      retryable: this.retryable,
      sameRouteAgain: this.sameRouteAgain,
      sameApiAgain: this.sameApiAgain,
      countsAgainstRoute: this.countsAgainstRoute,
      noSuchPath: this.noSuchPath,
      usage: this.usage,
      param: this.param,
      openAICode: this.openAICode,
      headers: this.headers,
      upstream: this.upstream,
      refusedBy: this.refusedBy,
      cause: this.cause,
      detail: this.detail,
      ...changes,
    });
  }
}

export const badRequest = (message: string, param?: string, code: ErrorCode = "invalid_request") =>
  new GatewayError({ status: 400, code, message, ...(param ? { param } : {}) });

export const unsupportedOperation = (message: string) =>
  new GatewayError({ status: 400, code: "unsupported_operation", message });

export const notFound = (message: string, code: ErrorCode = "not_found") =>
  new GatewayError({ status: 404, code, message });

/** A routed path asked with another method: a 405 whose `Allow` names the methods it takes. */
export const methodNotAllowed = (message: string, allow: string) =>
  new GatewayError({ status: 405, code: "method_not_allowed", message, headers: { allow } });

/** A plain GET of a WebSocket endpoint: what it takes is an upgrade (RFC 9110, 426). */
export const upgradeRequired = (path: string) =>
  new GatewayError({
    status: 426,
    code: "upgrade_required",
    message: `GET ${shown(path)} takes a WebSocket upgrade (Connection: Upgrade, Upgrade: websocket)`,
    headers: { upgrade: "websocket", connection: "Upgrade" },
  });

/**
 * A WebSocket upgrade handed to `gateway.handle()` without the embedder's server that took it: the
 * gateway has no socket to upgrade (EMBEDDING.md §1), which the caller is told rather than a bare
 * "Expected a websocket connection". A 400, as that was. Thrown by the WebSocket routes themselves,
 * so it is answered as any refusal is: with its request id, audit row and access line, at an app's
 * path as at the root.
 */
export const noServerToUpgrade = (path: string) =>
  new GatewayError({
    status: 400,
    code: "invalid_request",
    message: `${shown(path)} cannot upgrade to a WebSocket here: the gateway was handed this request without its server, gateway.handle(request, { server }) (docs/EMBEDDING.md §1)`,
  });

/**
 * What a refusal no later try of the same request can pass says of retrying: the official SDKs
 * obey `x-should-retry: false` whatever the status, and Claude Code's own loop, which sends a 401
 * again ten times over three minutes (a token it might refresh), stops at once.
 */
export const neverRetry = (): Record<string, string> => ({ "x-should-retry": "false" });

/** What the credential may not do however often it asks (its role, its tenant, a model unpriced under its budget). */
export const forbidden = (message: string): GatewayError =>
  new GatewayError({ status: 403, code: "forbidden", message, headers: neverRetry() });

/** A model that is not routed, or not the caller's to see: OpenAI's words, the same either way. */
export const modelNotFound = (model: string) =>
  notFound(
    `The model \`${shown(model)}\` does not exist or you do not have access to it.`,
    "model_not_found",
  );

export const upstreamError = (message: string, retryable = true) =>
  new GatewayError({ status: 502, code: "upstream_error", message, retryable });

/**
 * What a provider's call or its events threw that is no GatewayError — an embedder's provider, a
 * socket's own error — is an upstream that failed: retried and failed over like one, whichever
 * dialect the caller speaks (the relay of the caller's own dialect and the translating one alike).
 * Its own words stay out of the answer; the router logs them (routing/attempt-failure-log.ts).
 */
export const providerFailure = (error: unknown, message = "upstream failed"): GatewayError =>
  error instanceof GatewayError
    ? error
    : new GatewayError({ status: 502, code: "upstream_error", message, retryable: true, cause: error });

export const upstreamTimeout = (message: string) =>
  new GatewayError({ status: 504, code: "upstream_timeout", message, retryable: true });

export const unavailable = (message: string, code: ErrorCode = "unavailable") =>
  new GatewayError({ status: 503, code, message, retryable: true });

export const clientClosed = () =>
  new GatewayError({ status: 499, code: "client_closed", message: "client closed the request" });

/**
 * Wraps anything thrown into a GatewayError without leaking internals to the wire. A GatewayError
 * of no error status (an embedder's plug-in's 0, NaN, 600 or 200) is the thrower's fault, not a
 * refusal: answered as it was, no Response takes it (the last resort then answered in OpenAI's
 * shape whatever the caller spoke, and NaN's audit row was refused), or a 200 was read as an answer.
 */
export function toGatewayError(error: unknown): GatewayError {
  if (error instanceof GatewayError) {
    if (isErrorStatus(error.status)) return error;
    const thrown = `a GatewayError of no error status (${error.status}) was thrown: ${error.message}`;
    return new GatewayError({
      status: 500,
      code: "internal_error",
      message: "internal error",
      detail: thrown,
    });
  }
  return new GatewayError({ status: 500, code: "internal_error", message: "internal error" });
}

/** A status an error is answered (or, 499, recorded) with: a whole number from 400 to 599. */
const isErrorStatus = (status: number): boolean => Number.isInteger(status) && status >= 400 && status <= 599;

/**
 * An upstream's own error, kept so its meaning survives: the caller in the same dialect gets
 * the body back as it was sent; another dialect gets `type`, `code` and `param` mapped through
 * that dialect's table (core/openai-errors.ts, core/anthropic-errors.ts).
 */
export interface UpstreamErrorDetail {
  /**
   * The dialect its body spoke, else the upstream's when the reader knew it; none for a body of
   * neither dialect (an HTML page, nothing) from an upstream of unknown dialect.
   */
  readonly dialect: Dialect | undefined;
  readonly status: number;
  /** The error body as received, when it was one the dialect's own clients can read. */
  readonly body?: Record<string, unknown>;
  /** `body`'s exact text: a caller of the same dialect gets it byte for byte. */
  readonly text?: string;
  /** The dialect's error `type` (OpenAI `error.type`, Anthropic `error.type`). */
  readonly type?: string;
  /** OpenAI's `error.code`. */
  readonly code?: string;
  /**
   * The upstream said it is overloaded (Anthropic's `overloaded_error`, OpenAI's
   * `server_is_overloaded`, Google's `UNAVAILABLE`, Bedrock's ServiceUnavailableException): a caller
   * of another dialect is told so as its own API says it (core/overload.ts).
   */
  readonly overloaded?: true;
}
