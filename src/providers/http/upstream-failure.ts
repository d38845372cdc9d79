import { codeFromAnthropic, readAnthropicError } from "../../core/anthropic-errors.ts";
import { callerErrorCode } from "../../core/caller-error-code.ts";
import { CONTEXT_TOO_LONG } from "../../core/context-overflow.ts";
import { cutWords } from "../../core/cut-words.ts";
import type { Dialect } from "../../core/dialect.ts";
import { A_FAILED_RESPONSE, isFailedResponse } from "../../core/final-response-events.ts";
import { forCallers } from "../../core/for-callers.ts";
import { type ErrorCode, GatewayError, type UpstreamErrorDetail } from "../../core/gateway-error.ts";
import {
  type GoogleError,
  googleHttpStatus,
  readGoogleError,
  refusesDeployment,
} from "../../core/google-errors.ts";
import { codeFromOpenAI, readOpenAIError, refusalParam } from "../../core/openai-errors.ts";
import { GOOGLE_OVERLOAD, OVERLOADED, saidOverloaded } from "../../core/overload.ts";
import { isRedirectStatus } from "../../core/redirect-words.ts";
import { routeRefused } from "../../core/route-refused.ts";
import { statedDelayMs } from "../../core/stated-delay.ts";
import { notThisRouteAgain, upstreamFault } from "../../core/upstream-fault.ts";
import { withoutSecrets } from "../../core/without-secrets.ts";
import {
  type InBandSaid,
  judgedInBand,
  saidByGoogle,
  saidInBand,
} from "../../translate/stream/in-band-error.ts";
import { upstreamName } from "../upstream-name.ts";
import { withOpenRouterReset } from "./openrouter-reset.ts";
import { plainErrorWords } from "./plain-error-words.ts";
import { NO_RETRY_HEADERS, type RetryHeaders, retryAfterOnly, retryHeaders } from "./retry-headers.ts";
import { upstreamRedirect } from "./upstream-redirect.ts";

/** What an upstream answered with a non-2xx status. */
export interface UpstreamAnswer {
  readonly status: number;
  readonly headers: Headers;
  /** The body as text ("" when there was none or it could not be read). */
  readonly text: string;
}

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
 * dialect gets it mapped through its table), judged by whose fault it is (core/upstream-fault.ts, and
 * `statusFailure` for what each fault becomes).
 * `dialect`: the upstream's, when the caller knows it (a same-dialect answer): a body in neither
 * dialect's error shape (an HTML page from a proxy, nothing) is then still that dialect's failure,
 * and a caller of it keeps the 5xx status (http/error-body.ts), said in the gateway's words, with the
 * body's own when it is words (plain text, a top-level `message`: plain-error-words.ts).
 */
export function upstreamFailure(provider: string, answer: UpstreamAnswer, dialect?: Dialect): GatewayError {
  const { status } = answer;
  // Never followed: where it led is said, its body is no error of the upstream's.
  if (isRedirectStatus(status)) return upstreamRedirect(provider, status, answer.headers.get("location"));
  const body = parse(answer.text);
  const anthropic = readAnthropicError(body);
  // Before OpenAI's reader, which would take Google's `{"error":{message}}` for its own.
  const google = anthropic ? undefined : readGoogleError(body);
  const retry = withOpenRouterReset(retryHeaders(status, answer.headers), status, body);
  if (google) return googleFailure(provider, google, status, retry);
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
    ...(saidOverloaded(status, anthropic?.type ?? openai?.type, openai?.code) ? OVERLOADED : {}),
  };
  const code = anthropic ? codeFromAnthropic(status, anthropic) : codeFromOpenAI(status, openai);
  const param = refusalParam(code, openai?.param);
  // A body in neither shape still says something when it is words (core's readers know none).
  const said =
    anthropic || openai ? (anthropic?.message ?? openai?.message) : plainErrorWords(body, answer.text);
  return statusFailure(provider, status, said, {
    code,
    detail,
    ...(param ? { param } : {}),
    retry,
    noErrorBody: typeof body !== "object" || body === null,
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
  // Google's words are in these messages: the upstream's, as every caller reads them
  // (core/for-callers.ts), and the status Google sent for the attempt's audit entry; an
  // `UNAVAILABLE` is an overload, said as each caller's API says one (core/overload.ts).
  const upstream = {
    dialect: undefined,
    status: received,
    ...(google.status === GOOGLE_OVERLOAD ? OVERLOADED : {}),
  };
  if (status === 504) return timedOut(upstreamName(provider), google.message, upstream);
  if (refusesDeployment(google)) {
    const message = `${upstreamName(provider)} refused the gateway's deployment: ${google.message ?? google.status}`;
    // Where the gateway runs, not the call: the same route would refuse it again.
    return new GatewayError({
      status: 502,
      code: "upstream_error",
      message,
      retryable: true,
      sameRouteAgain: false,
      upstream,
    });
  }
  const tooLong = status === 400 && google.message !== undefined && CONTEXT_TOO_LONG.test(google.message);
  return statusFailure(provider, status, google.message, {
    ...(tooLong ? { code: "context_length_exceeded", param: "messages" } : {}),
    // The status Google sent, for the attempt's audit entry (a refused key's 400 is judged a 401).
    detail: upstream,
    retry: retry["retry-after"] ? retry : { ...retry, ...retryAfterOnly(google.retryAfter) },
    quotaIds: google.quotaIds,
  });
}

/** What a provider with its own error format (Bedrock, Gemini) knows of a failure. */
export interface FailureDetail {
  /** The gateway's code for a caller-fault 4xx (default `invalid_request`). */
  code?: ErrorCode;
  param?: string;
  /** Relayed to the caller of a 429 or a server fault (`retryHeaders`, `retryAfterOnly`). */
  retry?: RetryHeaders;
  /**
   * The upstream's own error, when it spoke OpenAI's or Anthropic's dialect; else the status it
   * answered with, when the one judged is another (default: the status judged).
   */
  detail?: UpstreamErrorDetail;
  /** The body was no JSON object (an HTML page, nothing): a 404 so is no API's (core/upstream-fault.ts `path`). */
  noErrorBody?: boolean;
  /** The quotas the upstream said were exceeded (Google's QuotaFailure, ErrorInfo): a day's is spent (core/upstream-fault.ts). */
  quotaIds?: readonly string[];
  /** The upstream's model took too long, whatever status said so (Bedrock's ModelTimeoutException, a 408): `timedOut`. */
  timedOut?: boolean;
}

/**
 * A failure from its status and message, for providers whose error bodies are their own, judged by
 * whose fault it is (core/upstream-fault.ts):
 * - the caller's request: its status and the upstream's message, not retried;
 * - a rate limit: a retryable 429 with its Retry-After (and `retry-after-ms`, `x-should-retry`),
 *   relayed once every route is exhausted; a request too large for the route's tier is not sent
 *   that route again, and no breaker counts it; a day's quota spent (no short wait stated) is not
 *   sent that route again either, and its breaker counts it;
 * - the gateway's credentials, account or route configuration refused (401/403, a billing or
 *   quota refusal, a 404 naming the route's model): the route is down for every call until the
 *   operator acts, so a 502 in the gateway's words that fails over at once and counts towards its
 *   breaker (core/route-refused.ts); a 404 from no API (no route for the call's path: an
 *   operation the server lacks, or a wrong base_url) alike, but counted by no breaker;
 * - a server fault: retryable; once every route is exhausted a caller of the upstream's dialect gets
 *   its status and body as sent (http/error-body.ts), across dialects our 502, its type mapped,
 *   saying `upstream NAME answered 503: ` and the upstream's own message, whatever its format; but
 *   a timeout (a 504, Anthropic's `timeout_error`, or `timedOut`) our 504 (`timedOut`).
 */
export function statusFailure(
  provider: string,
  status: number,
  message: string | undefined,
  known: FailureDetail = {},
): GatewayError {
  const upstream = known.detail ?? { dialect: undefined, status };
  const name = upstreamName(provider);
  const fault = upstreamFault(status, {
    type: upstream.type,
    code: upstream.code,
    message,
    noErrorBody: known.noErrorBody,
    statedWaitMs: known.retry && statedDelayMs(known.retry),
    quotaIds: known.quotaIds,
  });
  switch (fault) {
    // Refused again after a refresh (a fetched token is dropped and fetched once more before
    // this: providers/credentials/call-auth.ts), or a static key: the same route would be refused
    // again, as when credentials cannot be obtained at all.
    case "credentials":
    case "account":
    case "route":
    case "path":
    case "operation":
      return routeRefused(fault, { name, status, sent: upstream.status, said: message });
    case "throttle":
    case "tier":
    case "daily":
      return new GatewayError({
        status: 429,
        code: "rate_limited",
        message: message ?? `${name} is rate limiting the gateway`,
        retryable: true,
        // Too large for the route's tier, or its day's quota spent: no wait on that route helps.
        ...notThisRouteAgain(fault),
        headers: { ...known.retry },
        upstream,
      });
    case "request":
      return new GatewayError({
        status,
        code: known.code ?? callerErrorCode(status),
        message: message ?? `${name} rejected the request (${status})`,
        ...(known.param ? { param: known.param } : {}),
        upstream,
      });
    case "server":
      if (status === 504 || known.timedOut) return timedOut(name, message, upstream, known.retry);
      return new GatewayError({
        status: 502,
        code: "upstream_error",
        // Its own words after the gateway's account (Gemini's "The model is overloaded…", Bedrock's
        // ServiceUnavailableException), cut to a line's length, a credential they quote taken out
        // before the cut could leave half of it; where a caller reads them, its URLs, addresses and
        // the gateway's upstream account are too (core/for-callers.ts).
        message: message
          ? `${name} answered ${status}: ${cutWords(withoutSecrets(message))}`
          : `${name} answered ${status}`,
        retryable: true,
        headers: { ...known.retry },
        upstream,
      });
  }
}

/**
 * An upstream that timed out (Google's DEADLINE_EXCEEDED, a 504 — Anthropic's `timeout_error` —,
 * Bedrock's ModelTimeoutException): the gateway's retryable 504 `upstream_timeout`, as its own
 * deadline's is, in every caller's dialect (OpenAI's `server_error` at 504, Anthropic's
 * `timeout_error`), its own words after the gateway's account; the attempt keeps the status it sent.
 */
function timedOut(
  name: string,
  said: string | undefined,
  upstream: UpstreamErrorDetail,
  retry: RetryHeaders = NO_RETRY_HEADERS,
): GatewayError {
  return new GatewayError({
    status: 504,
    code: "upstream_timeout",
    message: said ? `${name} timed out: ${cutWords(withoutSecrets(said))}` : `${name} timed out`,
    retryable: true,
    headers: { ...retry },
    upstream,
  });
}

/** Fields only a real answer has (chat, completions, embeddings, messages, responses). */
const ANSWER_FIELDS = ["choices", "data", "content", "output", "embedding"] as const;

/**
 * A 2xx answer whose body is an error object (some OpenAI-compatible servers and proxies answer
 * 200 `{"error":{…}}`), or a Responses response that failed (`status: "failed"`, which a stream
 * says with `response.failed`): a failure of the upstream, never a success, judged by its code or
 * type as the same error said inside a stream is (translate/stream/in-band-error.ts): a prompt too
 * long or refused is the caller's 400 (failed over only as `fallback_on` says), a rate limit a 429,
 * the gateway's account or credentials refused the route's, anything else a retryable 502.
 * Undefined for a real answer. Said in the gateway's words, which quote the upstream's as every
 * caller reads an upstream's (core/for-callers.ts); the log keeps them whole (`detail`).
 */
export function errorInAnswer(provider: string, body: unknown): GatewayError | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const failedResponse = isFailedResponse(body);
  // A loop, not `some` with an arrow over `body`: that closure and its scope were made for every
  // answer.
  if (!failedResponse) for (const field of ANSWER_FIELDS) if (field in body) return undefined;
  const said = saidInAnswer(body, failedResponse);
  if (!said) return undefined;
  const name = upstreamName(provider);
  const answered = `${name} answered 200 with ${failedResponse ? A_FAILED_RESPONSE : "an error"}`;
  const words = said.message;
  return judgedInBand({
    ...said,
    name,
    // The caller reads the upstream's words, as from the same error said in a stream; the
    // gateway's account with it left out. The log says how it came, the words whole.
    message: words ? forCallers(words) : answered,
    ...(words ? { detail: `${answered}: ${words}` } : {}),
    // The status its code stands for; no body of the upstream's travels: its answer was a 200,
    // and the caller is told in its dialect's shape, the gateway's code and type for it.
    upstream: {
      dialect: undefined,
      status: said.status,
      ...(said.upstream.overloaded ? OVERLOADED : {}),
    },
  });
}

/** The error in a 2xx answer's body, read in the dialect it is said in. */
function saidInAnswer(body: object, failedResponse: boolean): InBandSaid | undefined {
  if (failedResponse) return saidInBand("openai", body);
  if (readAnthropicError(body)) return saidInBand("anthropic", body);
  const google = readGoogleError(body);
  if (google) return saidByGoogle(google);
  return readOpenAIError(body) ? saidInBand("openai", body) : undefined;
}
