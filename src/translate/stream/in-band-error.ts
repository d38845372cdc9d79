import { z } from "zod";
import {
  codeFromAnthropic,
  readAnthropicError,
  statusForAnthropicType,
} from "../../core/anthropic-errors.ts";
import { callerErrorCode } from "../../core/caller-error-code.ts";
import { CONTEXT_TOO_LONG } from "../../core/context-overflow.ts";
import type { Dialect } from "../../core/dialect.ts";
import { RESPONSE_FAILED } from "../../core/final-response-events.ts";
import { type ErrorCode, GatewayError, type UpstreamErrorDetail } from "../../core/gateway-error.ts";
import { type GoogleError, googleHttpStatus } from "../../core/google-errors.ts";
import {
  codeFromOpenAI,
  type ReadOpenAIError,
  readOpenAIError,
  refusalParam,
  statusForOpenAIError,
} from "../../core/openai-errors.ts";
import { openRouterResetWaitMs } from "../../core/openrouter-reset.ts";
import { GOOGLE_OVERLOAD, OVERLOADED, saidOverloaded } from "../../core/overload.ts";
import { routeRefused } from "../../core/route-refused.ts";
import { delayHeaders, statedDelayMs, waitInWords } from "../../core/stated-delay.ts";
import { notThisRouteAgain, upstreamFault } from "../../core/upstream-fault.ts";

/**
 * An error an upstream reported inside its answer rather than by its status: Anthropic's `error`
 * event, OpenAI's `{"error":…}` chunk, the Responses API's `error` event and `response.failed`
 * (and a whole Responses answer that failed, `status: "failed"`). It is judged as an answer of
 * the status its type or code stands for is (core/upstream-fault.ts): a request the upstream
 * refuses (a prompt too long, or flagged; Anthropic's `invalid_request_error`) is the caller's 4xx,
 * never retried nor counted against the route, failed over only where `fallback_on` says (a
 * context too long); a rate limit stays a 429; the gateway's account or credentials refused
 * (OpenAI's `insufficient_quota`) is the route's, failed over at once; anything else (an overload,
 * a server error) a retryable 502, the stream being what failed. Its type, code and body travel
 * with it so the caller's dialect can say the same thing.
 */
export function inBandError(dialect: Dialect, event: unknown): GatewayError {
  return judgedInBand(saidInBand(dialect, event));
}

/** What an error said inside an answer of `dialect` says (`inBandError`), before it is judged. */
export function saidInBand(dialect: Dialect, event: unknown): InBandSaid {
  // A Responses error event is carried as the OpenAI error body it stands for, which the
  // caller's wire reads back (core/openai-errors.ts `openAIWireError`).
  const body = dialect === "openai" ? asOpenAIErrorBody(event) : event;
  const anthropic = dialect === "anthropic" ? readAnthropicError(body) : undefined;
  const openai = dialect === "openai" ? readOpenAIError(body) : undefined;
  const status = anthropic ? statusForAnthropicType(anthropic.type) : statusForOpenAIError(openai);
  const code = anthropic ? codeFromAnthropic(status, anthropic) : codeFromOpenAI(status, openai);
  const type = anthropic?.type ?? openai?.type;
  // OpenRouter's day spent said in a 200 or a stream: its reset in its body alone, as in its 429's.
  const waitMs = openai && status === 429 ? openRouterResetWaitMs(body) : undefined;
  return {
    status,
    message: anthropic?.message ?? openai?.message,
    ...(waitMs === undefined ? {} : { waitMs }),
    type,
    code: openai?.code,
    caller: code,
    param: refusalParam(code, openai?.param),
    upstream: {
      dialect,
      status,
      ...(type ? { type } : {}),
      ...(openai?.code ? { code: openai.code } : {}),
      ...(typeof body === "object" && body !== null && (anthropic || openai)
        ? { body: body as Record<string, unknown> }
        : {}),
      ...(saidOverloaded(status, type, openai?.code) ? OVERLOADED : {}),
    },
  };
}

/**
 * Google's error object inside a `streamGenerateContent` stream, by the same rule and its
 * canonical code (an exhausted quota stays a 429, with RetryInfo's delay; a prompt past the window
 * is the caller's 400). No Google body travels with it: the caller's dialect says it.
 */
export function googleInBandError(google: GoogleError): GatewayError {
  return judgedInBand(saidByGoogle(google));
}

/** What Google's error object says (`googleInBandError`), before it is judged. */
export function saidByGoogle(google: GoogleError): InBandSaid {
  const status = googleHttpStatus(google, 500);
  const tooLong = status === 400 && google.message !== undefined && CONTEXT_TOO_LONG.test(google.message);
  return {
    status,
    message: google.message ?? `upstream reported ${google.status}`,
    caller: tooLong ? "context_length_exceeded" : callerErrorCode(status),
    ...(tooLong ? { param: "messages" } : {}),
    ...(google.retryAfter ? { retryAfter: google.retryAfter } : {}),
    quotaIds: google.quotaIds,
    // Google's words: scrubbed of the gateway's account for the caller (core/scrub-account.ts).
    upstream: { dialect: undefined, status, ...(google.status === GOOGLE_OVERLOAD ? OVERLOADED : {}) },
  };
}

/** What an upstream said of its failure inside its answer, read in its dialect. */
export interface InBandSaid {
  /** The status its type or code stands for (no answer of its own carried one). */
  readonly status: number;
  readonly message: string | undefined;
  /** The upstream's own type and code, as upstream-fault.ts reads them. */
  readonly type?: string | undefined;
  readonly code?: string | undefined;
  /** The gateway's code for it when it is the caller's request that was refused. */
  readonly caller: ErrorCode;
  readonly param?: string | undefined;
  /** Seconds to wait, when the upstream said (Google's RetryInfo). */
  readonly retryAfter?: string;
  /** The wait (ms) until the limit resets, when its body says when (OpenRouter's `X-RateLimit-Reset`). */
  readonly waitMs?: number;
  /** The quotas it said were exceeded (Google's QuotaFailure), as upstream-fault.ts reads them. */
  readonly quotaIds?: readonly string[];
  readonly upstream: UpstreamErrorDetail;
  /** How the gateway's words for a refusal of the route name the upstream (default `the upstream`). */
  readonly name?: string;
  /** The upstream's words for the log, where `message` says them otherwise (scrubbed). */
  readonly detail?: string;
}

/**
 * The failure, by whose fault it is. The upstream's own words say it, but for a refusal of the
 * gateway's credentials or account, which the caller would read as its own to fix: said in the
 * gateway's words (core/route-refused.ts, as an answer's status is), the upstream's in the log.
 */
export function judgedInBand(said: InBandSaid): GatewayError {
  const { status, upstream } = said;
  const message = said.message ?? "upstream reported an error";
  const retry = inBandRetry(said);
  const fault = upstreamFault(status, { ...said, statedWaitMs: retry && statedDelayMs(retry) });
  switch (fault) {
    case "request":
      return new GatewayError({
        status,
        code: said.caller,
        message,
        ...(said.param ? { param: said.param } : {}),
        ...(said.detail ? { detail: said.detail } : {}),
        upstream,
      });
    case "throttle":
    case "tier":
    case "daily":
      return new GatewayError({
        status: 429,
        code: "rate_limited",
        message,
        retryable: true,
        ...notThisRouteAgain(fault),
        ...(retry ? { headers: retry } : {}),
        ...(said.detail ? { detail: said.detail } : {}),
        upstream,
      });
    case "credentials":
    case "account":
    case "route":
    case "path":
    case "operation":
      return routeRefused(fault, {
        name: said.name ?? "the upstream",
        status,
        said: said.detail ?? message,
        inAnswer: true,
      });
    case "server":
      return new GatewayError({
        // A timeout (Anthropic's `timeout_error`, a code that stands for a 504) is the gateway's
        // 504 in every dialect, as over HTTP (providers/http/upstream-failure.ts `timedOut`).
        ...(status === 504
          ? { status: 504, code: "upstream_timeout" }
          : { status: 502, code: "upstream_error" }),
        message,
        retryable: true,
        ...(said.detail ? { detail: said.detail } : {}),
        upstream,
      });
  }
}

/**
 * When a rate limit said inside an answer says to come back, as the headers an answer's status
 * comes with would: Google's RetryInfo, OpenRouter's reset in its body, else the wait in its words
 * (OpenAI's "Please try again in 11.054s.", which only its words can say here). What the router waits on before the route again,
 * what the caller is told, and what tells a day's limit from a rolling one, as over HTTP.
 */
function inBandRetry(said: InBandSaid): Record<string, string> | undefined {
  if (said.retryAfter) return { "retry-after": said.retryAfter };
  if (said.waitMs !== undefined) return delayHeaders(said.waitMs);
  const waitMs = waitInWords(said.message);
  return waitMs === undefined ? undefined : delayHeaders(waitMs);
}

/**
 * The Responses API's stream `error` event, its fields at the top rather than in an `error`
 * object: `{"type":"error","code":"rate_limit_exceeded","message":…,"param":null}`.
 */
const responsesErrorEvent = z.looseObject({
  type: z.literal("error"),
  message: z.string(),
  code: z.string().nullish(),
  param: z.string().nullish(),
});

/** A Responses `response` that failed: its `error`, `{code, message}`. */
const failedResponse = z.looseObject({
  status: z.literal("failed"),
  error: responsesErrorEvent.omit({ type: true }),
});

/** The Responses API's `response.failed` event: the response that failed. */
const failedResponseEvent = z.looseObject({ type: z.literal(RESPONSE_FAILED), response: failedResponse });

/**
 * A Responses error or failed-response event, or a whole response that failed, as OpenAI's
 * `{"error":{…}}` body; any other body as it is.
 */
function asOpenAIErrorBody(body: unknown): unknown {
  const said =
    failedResponseEvent.safeParse(body).data?.response.error ??
    failedResponse.safeParse(body).data?.error ??
    responsesErrorEvent.safeParse(body).data;
  if (!said) return body;
  const { message, code, param } = said;
  const error: ReadOpenAIError = { message, ...(code ? { code } : {}), ...(param ? { param } : {}) };
  return { error };
}
