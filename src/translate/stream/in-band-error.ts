import { z } from "zod";
import { readAnthropicError, statusForAnthropicType } from "../../core/anthropic-errors.ts";
import type { Dialect } from "../../core/dialect.ts";
import { RESPONSE_FAILED } from "../../core/final-response-events.ts";
import { GatewayError } from "../../core/gateway-error.ts";
import { type GoogleError, googleHttpStatus } from "../../core/google-errors.ts";
import { type ReadOpenAIError, readOpenAIError } from "../../core/openai-errors.ts";

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

/**
 * An error an upstream reported inside a stream (Anthropic's `error` event, OpenAI's
 * `{"error":…}` chunk, the Responses API's `error` event). Its type and code travel with it so
 * the caller's dialect can say the same thing; a rate limit stays a 429, everything else is a
 * retryable 502 (the stream is what failed, not the client's request).
 */
export function inBandError(dialect: Dialect, event: unknown): GatewayError {
  // A Responses error event is carried as the OpenAI error body it stands for, which the
  // caller's wire reads back (core/openai-errors.ts `openAIWireError`).
  const body = dialect === "openai" ? asOpenAIErrorBody(event) : event;
  const anthropic = dialect === "anthropic" ? readAnthropicError(body) : undefined;
  const openai = dialect === "openai" ? readOpenAIError(body) : undefined;
  const type = anthropic?.type ?? openai?.type;
  const message = anthropic?.message ?? openai?.message ?? "upstream reported an error";
  const status = anthropic ? statusForAnthropicType(anthropic.type) : 502;
  const limited = status === 429 || openai?.code === "rate_limit_exceeded";
  return new GatewayError({
    status: limited ? 429 : 502,
    code: limited ? "rate_limited" : "upstream_error",
    message,
    retryable: true,
    upstream: {
      dialect,
      status,
      ...(type ? { type } : {}),
      ...(openai?.code ? { code: openai.code } : {}),
      ...(typeof body === "object" && body !== null && (anthropic || openai)
        ? { body: body as Record<string, unknown> }
        : {}),
    },
  });
}

/** The Responses API's `response.failed` event: its response's `error`, `{code, message}`. */
const failedResponseEvent = z.looseObject({
  type: z.literal(RESPONSE_FAILED),
  response: z.looseObject({ error: responsesErrorEvent.omit({ type: true }) }),
});

/** A Responses error or failed-response event as OpenAI's `{"error":{…}}` body; any other body as it is. */
function asOpenAIErrorBody(body: unknown): unknown {
  const said =
    failedResponseEvent.safeParse(body).data?.response.error ?? responsesErrorEvent.safeParse(body).data;
  if (!said) return body;
  const { message, code, param } = said;
  const error: ReadOpenAIError = { message, ...(code ? { code } : {}), ...(param ? { param } : {}) };
  return { error };
}

/**
 * Google's error object inside a `streamGenerateContent` stream, by the same rule: an exhausted
 * quota stays a 429 (with RetryInfo's delay), anything else is a retryable 502. No Google body
 * travels with it: the caller's dialect says it.
 */
export function googleInBandError(google: GoogleError): GatewayError {
  const status = googleHttpStatus(google, 500);
  const limited = status === 429;
  return new GatewayError({
    status: limited ? 429 : 502,
    code: limited ? "rate_limited" : "upstream_error",
    message: google.message ?? `upstream reported ${google.status}`,
    retryable: true,
    ...(limited && google.retryAfter ? { headers: { "retry-after": google.retryAfter } } : {}),
    // Google's words: scrubbed of the gateway's account for the caller (core/scrub-account.ts).
    upstream: { dialect: undefined, status },
  });
}
