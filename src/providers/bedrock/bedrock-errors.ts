import { ANTHROPIC_CONTEXT_TOO_LONG } from "../../core/anthropic-errors.ts";
import { CONTEXT_TOO_LONG } from "../../core/context-overflow.ts";
import { type GatewayError, upstreamError } from "../../core/gateway-error.ts";
import { OVERLOADED } from "../../core/overload.ts";
import { routeRefused } from "../../core/route-refused.ts";
import { saysContextTooLong } from "../../core/says-context-too-long.ts";
import { retryAfterOnly } from "../http/retry-headers.ts";
import { statusFailure } from "../http/upstream-failure.ts";
import { upstreamName } from "../upstream-name.ts";

/** Exception types that are AWS limits on the account, not faults of the request. */
const QUOTA = /^(ServiceQuotaExceeded|Throttling|TooManyRequests)/i;
/**
 * The model's own fault, not the request's: AWS documents ModelErrorException (HTTP 424) and a
 * stream's modelStreamErrorException as "The model produced an invalid response. Try your request
 * again."
 */
const MODEL_FAULT = /^model(Stream)?Error/i;
/**
 * A ValidationException's words that are about the route's model id, not the request: one Bedrock
 * has not, or not in the route's region ("The provided model identifier is invalid."), one served
 * only through an inference profile ("Invocation of model ID anthropic.claude-3-7-… with
 * on-demand throughput isn’t supported. Retry your request with the ID or ARN of an inference
 * profile that contains this model."), one with provisioned throughput only ("The provided model
 * doesn't support on-demand throughput."). Whole sentences from the start, as AWS writes them.
 */
const ROUTE_MODEL =
  /^(?:The provided model identifier is invalid\.|The provided model doesn['’]t support on-demand throughput\.|Invocation of model ID \S+ with on-demand throughput isn['’]t supported\.)/;
/**
 * Bedrock out of capacity for the call: ServiceUnavailableException (503, "The service isn't
 * currently available"), and ModelNotReadyException, which AWS sends as a 429 for a model not yet
 * loaded to serve (an imported model scaled to zero) and its SDK retries — a model that is not
 * ready, not a rate the gateway's account exceeded: a server fault (retried, failed over), said to
 * each caller as its own API says an overload (core/overload.ts).
 */
const OVERLOAD = /^(ServiceUnavailable|ModelNotReady)Exception$/i;
/**
 * The model took longer than Bedrock lets it (ModelTimeoutException, sent as a 408, and an
 * InvokeModelWithResponseStream frame): an upstream timeout, the gateway's retryable 504 as
 * Google's DEADLINE_EXCEEDED is, not a 502.
 */
const MODEL_TIMEOUT = /^ModelTimeoutException$/i;
/** Exception types whose words are never about the prompt's length. */
const NOT_THE_PROMPT =
  /^(AccessDenied|ResourceNotFound|ModelNotReady|ModelError|ModelTimeout|InternalServer|ServiceUnavailable)/i;

/**
 * A Bedrock failure (HTTP status and `x-amzn-ErrorType`, or a stream exception frame) as a
 * GatewayError. Bedrock says "Input is too long" as a ValidationException, and passes Claude's own
 * refusals so ("input length and `max_tokens` exceed context limit: P + A > W", read as from
 * Anthropic's API: a `max_tokens` a translation wrote is lowered to what the window leaves,
 * routing/refused-hint.ts); it keeps its 400, as `context_length_exceeded` on the request's
 * field that was too long (`messages`, or an embeddings request's `input`).
 */
export function bedrockFailure(
  provider: string,
  status: number,
  type: string,
  message?: string,
  retryAfter?: string | null,
  tooLongField = "messages",
): GatewayError {
  const name = type.split(":")[0] ?? type;
  const said = message ? `${name}: ${message}` : undefined;
  // The status Bedrock answered with, for the attempt's audit entry (a quota's 400 is judged a 429).
  const overloaded = OVERLOAD.test(name);
  const answered = { dialect: undefined, status, ...(overloaded ? OVERLOADED : {}) };
  // A quota (tokens a day, requests a minute) is a limit, whatever status carries it: AWS sends
  // ServiceQuotaExceededException as a 400 saying "Too many tokens per day", which the words
  // alone would read as a prompt too long, and a day's quota as a ThrottlingException too (its words
  // tell it from a minute's). A day's quota is not waited out on the route
  // (core/upstream-fault.ts `daily`), as OpenAI's is not.
  if (QUOTA.test(name))
    return statusFailure(provider, 429, said, { retry: retryAfterOnly(retryAfter), detail: answered });
  // A 424 is no status a caller's SDK retries, nor the caller's to fix: a retryable 502 (`api_error`
  // to Anthropic callers), tried again and failed over before the first byte.
  if (MODEL_FAULT.test(name)) return upstreamError(`upstream ${provider} answered ${said ?? name}`);
  // The operator's route names a model id Bedrock does not serve it: every call would be refused,
  // as a 404 ResourceNotFoundException's are (core/upstream-fault.ts `route`), not the caller's 400.
  if (status === 400 && name === "ValidationException" && message !== undefined && ROUTE_MODEL.test(message))
    return routeRefused("route", { name: upstreamName(provider), status, said });
  // Judged as the server fault it is, whatever status carried it; the attempt keeps Bedrock's.
  if (overloaded)
    return statusFailure(provider, 503, said, { retry: retryAfterOnly(retryAfter), detail: answered });
  if (MODEL_TIMEOUT.test(name))
    return statusFailure(provider, 504, said, {
      timedOut: true,
      retry: retryAfterOnly(retryAfter),
      detail: answered,
    });
  const tooLong =
    status === 400 &&
    message !== undefined &&
    !NOT_THE_PROMPT.test(name) &&
    // AWS's validation listing quotes the caller's values, which may say anything: never read so.
    (saysContextTooLong(message, CONTEXT_TOO_LONG) ||
      saysContextTooLong(message, ANTHROPIC_CONTEXT_TOO_LONG));
  return statusFailure(provider, status, said, {
    ...(tooLong ? { code: "context_length_exceeded", param: tooLongField } : {}),
    retry: retryAfterOnly(retryAfter),
    detail: answered,
  });
}

/** Reads Bedrock's `{"message": "..."}` error body (or `Message`), if that is what it is. */
export function bedrockErrorMessage(text: string): string | undefined {
  try {
    const body = JSON.parse(text) as Record<string, unknown>;
    const message = body.message ?? body.Message;
    return typeof message === "string" ? message : undefined;
  } catch {
    return undefined;
  }
}
