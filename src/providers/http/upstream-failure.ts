import { codeFromAnthropic, readAnthropicError } from "../../core/anthropic-errors.ts";
import type { Dialect } from "../../core/dialect.ts";
import { type ErrorCode, GatewayError, type UpstreamErrorDetail } from "../../core/gateway-error.ts";
import {
  type GoogleError,
  googleHttpStatus,
  readGoogleError,
  refusesDeployment,
} from "../../core/google-errors.ts";
import { CONTEXT_TOO_LONG, codeFromOpenAI, readOpenAIError } from "../../core/openai-errors.ts";
import { upstreamName } from "../upstream-name.ts";

/** What an upstream answered with a non-2xx status. */
export interface UpstreamAnswer {
  readonly status: number;
  readonly headers: Headers;
  /** The body as text ("" when there was none or it could not be read). */
  readonly text: string;
}

/** The headers of a failure that say when, or whether, to try again, by name. */
export type RetryHeaders = Readonly<Record<string, string>>;

/**
 * What OpenAI and Anthropic send to say when, or whether, to try again: both SDKs read
 * `retry-after-ms` before `Retry-After`, and obey `x-should-retry` over the status.
 */
const RETRY_HEADER_NAMES = ["retry-after", "retry-after-ms", "x-should-retry"] as const;

const NO_RETRY_HEADERS: RetryHeaders = Object.freeze({});

/** The retry headers an upstream sent with a failure, as it sent them. */
export function retryHeaders(headers: Headers): RetryHeaders {
  const found: Record<string, string> = {};
  for (const name of RETRY_HEADER_NAMES) {
    const value = headers.get(name);
    if (value !== null) found[name] = value;
  }
  return found;
}

/** A `Retry-After` alone, from an upstream that says no more (Bedrock, Google's RetryInfo). */
export const retryAfterOnly = (value: string | null | undefined): RetryHeaders =>
  value ? { "retry-after": value } : NO_RETRY_HEADERS;

const parse = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

/**
 * Turns a non-2xx upstream answer into a GatewayError that keeps its meaning: the upstream's
 * body, type, code and param travel along (a same-dialect caller gets the body as sent, another
 * dialect gets it mapped through its table). A 4xx that is the caller's fault keeps its status
 * and is not retried. A 429 is retryable on another route and stays a 429 with its Retry-After
 * (and `retry-after-ms`, `x-should-retry`) once every route is exhausted. Our own credentials
 * refused (401/403) are a 502 that fails over to the next route: the client's request was fine,
 * the gateway's upstream was not. A server fault (5xx) is retryable; once every
 * route is exhausted a same-dialect caller gets it verbatim, another dialect a mapped 502.
 * `dialect`: the upstream's, when the caller knows it (a same-dialect answer): a body in neither
 * dialect's error shape (an HTML page from a proxy, nothing) is then still that dialect's failure,
 * and a caller of it keeps the 5xx status (http/error-body.ts), said in the gateway's words.
 */
export function upstreamFailure(provider: string, answer: UpstreamAnswer, dialect?: Dialect): GatewayError {
  const { status } = answer;
  const body = parse(answer.text);
  const anthropic = readAnthropicError(body);
  // Before OpenAI's reader, which would take Google's `{"error":{message}}` for its own.
  const google = anthropic ? undefined : readGoogleError(body);
  if (google) return googleFailure(provider, google, status, retryHeaders(answer.headers));
  const openai = anthropic ? undefined : readOpenAIError(body);
  const detail: UpstreamErrorDetail = {
    dialect: anthropic ? "anthropic" : openai ? "openai" : dialect,
    status,
    ...(anthropic ? { type: anthropic.type } : {}),
    ...(openai?.type ? { type: openai.type } : {}),
    ...(openai?.code ? { code: openai.code } : {}),
    ...(typeof body === "object" && body !== null && (anthropic || openai)
      ? { body: body as Record<string, unknown>, text: answer.text }
      : {}),
  };
  const code = anthropic ? codeFromAnthropic(status, anthropic) : codeFromOpenAI(status, openai);
  const param = openai?.param ?? (code === "context_length_exceeded" ? "messages" : undefined);
  return statusFailure(provider, status, anthropic?.message ?? openai?.message, {
    code,
    detail,
    ...(param ? { param } : {}),
    retry: retryHeaders(answer.headers),
  });
}

/**
 * A Google error (Gemini API, Vertex AI, or Vertex's front end before Claude) judged by its
 * canonical code, not relayed: no Google body reaches a caller, whose dialect says it instead.
 * RetryInfo's delay stands in for a missing Retry-After; a timeout is a retryable 504.
 */
export function googleFailure(
  provider: string,
  google: GoogleError,
  received: number,
  retry: RetryHeaders = NO_RETRY_HEADERS,
): GatewayError {
  const status = googleHttpStatus(google, received);
  if (status === 504) {
    const message = `${upstreamName(provider)} timed out${google.message ? `: ${google.message}` : ""}`;
    return new GatewayError({ status: 504, code: "upstream_timeout", message, retryable: true });
  }
  if (refusesDeployment(google)) {
    const message = `${upstreamName(provider)} refused the gateway's deployment: ${google.message ?? google.status}`;
    // Where the gateway runs, not the call: the same route would refuse it again.
    return new GatewayError({
      status: 502,
      code: "upstream_error",
      message,
      retryable: true,
      sameRouteAgain: false,
    });
  }
  const tooLong = status === 400 && google.message !== undefined && CONTEXT_TOO_LONG.test(google.message);
  return statusFailure(provider, status, google.message, {
    ...(tooLong ? { code: "context_length_exceeded", param: "messages" } : {}),
    // The status Google sent, for the attempt's audit entry (a refused key's 400 is judged a 401).
    detail: { dialect: undefined, status: received },
    retry: retry["retry-after"] ? retry : { ...retry, ...retryAfterOnly(google.retryAfter) },
  });
}

/** What a provider with its own error format (Bedrock, Gemini) knows of a failure. */
export interface FailureDetail {
  /** The gateway's code for a caller-fault 4xx (default `invalid_request`, 404 `model_not_found`). */
  code?: ErrorCode;
  param?: string;
  /** Relayed to the caller of a 429 or a server fault (`retryHeaders`, `retryAfterOnly`). */
  retry?: RetryHeaders;
  /**
   * The upstream's own error, when it spoke OpenAI's or Anthropic's dialect; else the status it
   * answered with, when the one judged is another (default: the status judged).
   */
  detail?: UpstreamErrorDetail;
}

/** A failure from its status and message, for providers whose error bodies are their own. */
export function statusFailure(
  provider: string,
  status: number,
  message: string | undefined,
  known: FailureDetail = {},
): GatewayError {
  // Always the upstream's status: the attempt's audit entry keeps it (audit/attempt-log.ts).
  const upstream = known.detail ?? { dialect: undefined, status };
  if (status === 401 || status === 403) {
    return new GatewayError({
      status: 502,
      code: "upstream_auth",
      // In the gateway's words, by status: the client must not read "authentication error" (or an
      // upstream's "invalid x-api-key") as its own. The upstream's own are the operator's (the
      // log's `detail`, redacted there).
      message:
        status === 403
          ? `${upstreamName(provider)} refused the gateway's request (forbidden)`
          : `${upstreamName(provider)} rejected the gateway's credentials`,
      // The route is down for every call until its credentials are fixed: the model's other
      // routes serve (and its breaker counts it), as when credentials cannot be obtained at all;
      // the same route again would be refused again (a refused token was refreshed already).
      retryable: true,
      sameRouteAgain: false,
      // The upstream's status for the attempt's audit entry; no body, which no caller gets.
      upstream: { dialect: undefined, status: upstream.status },
      ...(message ? { detail: message } : {}),
    });
  }
  if (status === 429) {
    return new GatewayError({
      status: 429,
      code: "rate_limited",
      message: message ?? `${upstreamName(provider)} is rate limiting the gateway`,
      retryable: true,
      headers: { ...known.retry },
      upstream,
    });
  }
  if (status >= 400 && status < 500 && status !== 408 && status !== 409) {
    const fallback: ErrorCode =
      status === 404 ? "model_not_found" : status === 413 ? "payload_too_large" : "invalid_request";
    return new GatewayError({
      status,
      code: known.code ?? fallback,
      message: message ?? `${upstreamName(provider)} rejected the request (${status})`,
      ...(known.param ? { param: known.param } : {}),
      upstream,
    });
  }
  // A server fault: worth another attempt or route. Once none is left, a caller of the upstream's
  // dialect gets its status and body as sent (http/error-body.ts); across dialects it is our 502,
  // the upstream's type mapped.
  return new GatewayError({
    status: 502,
    code: "upstream_error",
    message: `${upstreamName(provider)} answered ${status}`,
    retryable: true,
    headers: { ...known.retry },
    upstream,
  });
}

/** A fetch that failed before any answer: refused, reset, DNS. Always worth another route. */
export const unreachable = (provider: string) =>
  new GatewayError({
    status: 502,
    code: "upstream_error",
    message: `could not reach ${upstreamName(provider)}`,
    retryable: true,
  });

/** Fields only a real answer has (chat, completions, embeddings, messages, responses). */
const ANSWER_FIELDS = ["choices", "data", "content", "output", "embedding"] as const;

/**
 * A 2xx answer whose body is an error object (some OpenAI-compatible servers and proxies answer
 * 200 `{"error":{…}}`): a failure of the upstream, retried or failed over like a 5xx and audited
 * as one, never a success. Undefined for a real answer.
 */
export function errorInAnswer(provider: string, body: unknown): GatewayError | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  // A loop, not `some` with an arrow over `body`: that closure and its scope were made for every
  // answer.
  for (const field of ANSWER_FIELDS) if (field in body) return undefined;
  const error = readAnthropicError(body) ?? readGoogleError(body) ?? readOpenAIError(body);
  if (!error) return undefined;
  return new GatewayError({
    status: 502,
    code: "upstream_error",
    message: `${upstreamName(provider)} answered 200 with an error${error.message ? `: ${error.message}` : ""}`,
    retryable: true,
  });
}
