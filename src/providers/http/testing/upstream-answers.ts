import { errorBody } from "../../../core/error-wire.ts";
import type { GatewayError } from "../../../core/gateway-error.ts";

// What the upstream-failure*.test.ts files feed upstreamFailure and read back: an upstream's
// answer, the vendors' own error bodies they share, and a failure as both dialects word it.

/** An upstream's answer as upstreamFailure reads it: its status, headers and body as sent. */
export const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => ({
  status,
  headers: new Headers(headers),
  text: JSON.stringify(body),
});

export const openAI429 = {
  error: { message: "Rate limit reached", type: "requests", param: null, code: "rate_limit_exceeded" },
};

export const openAITooLong = {
  error: {
    message: "This model's maximum context length is 128000 tokens.",
    type: "invalid_request_error",
    param: "messages",
    code: "context_length_exceeded",
  },
};

export const anthropicTooLong = {
  type: "error",
  error: { type: "invalid_request_error", message: "prompt is too long: 210000 tokens > 200000 maximum" },
};

/** The failure as an OpenAI caller and an Anthropic caller are told it, side by side. */
export const wording = (error: GatewayError) =>
  `${JSON.stringify(errorBody(error, "openai"))} ${JSON.stringify(errorBody(error, "anthropic"))}`;

/**
 * How the gateway judged a failure: its status and code, whether it is retried, whether the same
 * route may be asked again, and whether the route's breaker counts it.
 */
export const verdict = (error: GatewayError) => [
  error.status,
  error.code,
  error.retryable,
  error.sameRouteAgain,
  error.countsAgainstRoute,
];
