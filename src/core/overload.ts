import type { Dialect } from "./dialect.ts";
import type { GatewayError } from "./gateway-error.ts";

/**
 * An upstream that says it is overloaded, in each vendor's words, and how each caller's own API
 * says it. OpenAI answers an overload 503 `{"type":"service_unavailable_error","code":
 * "server_is_overloaded"}` (a Responses stream's `response.failed` with that code, or `slow_down`);
 * Codex reads that code, over HTTP at 503 and in a stream's failure, as `ServerOverloaded`
 * ("Selected model is at capacity. Please try a different model.", its `CodexErrorInfo` telling an
 * app so) rather than as any other 5xx. Anthropic answers 529 `overloaded_error` (also as a
 * stream's `error` event), which Claude Code counts as its overloaded retries. Moonshot (Kimi)
 * answers 429 `{"error":{"type":"engine_overloaded_error","message":"The engine is currently
 * overloaded, please try again later"}}`: its type, not its status, tells it from a rate limit (its
 * Kimi For Coding plan's own limit says the same words with `rate_limit_error`: a rate limit). Google says
 * `UNAVAILABLE` ("The model is overloaded. Please try again later."); Bedrock
 * ServiceUnavailableException, and ModelNotReadyException for a model not yet loaded (OpenAI's
 * own 503 words: "The server is overloaded or not ready yet."). Each is judged as the server fault
 * it is (retried, failed over, counted by the breaker); once no route is left, a caller of the
 * upstream's own dialect gets its status and body as sent, any other caller its own API's overload.
 */

/** OpenAI's codes for an overload, as Codex reads them. */
const OPENAI_OVERLOAD_CODES: ReadonlySet<string> = new Set(["server_is_overloaded", "slow_down"]);

/** The types that say an overload: Anthropic's, and Moonshot's (an OpenAI-dialect API's) at 429. */
const OVERLOAD_TYPES: ReadonlySet<string> = new Set(["overloaded_error", "engine_overloaded_error"]);

/** Whether what an OpenAI- or Anthropic-dialect upstream said is an overload: its type, its code, or Anthropic's 529. */
export const saidOverloaded = (status: number, type: string | undefined, code: string | undefined): boolean =>
  status === 529 ||
  (type !== undefined && OVERLOAD_TYPES.has(type)) ||
  (code !== undefined && OPENAI_OVERLOAD_CODES.has(code));

/** An upstream error's mark of an overload (`UpstreamErrorDetail.overloaded`), spread into it. */
export const OVERLOADED = { overloaded: true } as const;

/** Google's canonical code for a service that cannot take the call now. */
export const GOOGLE_OVERLOAD = "UNAVAILABLE";

/** How OpenAI's API says an overload: its status, type and code. */
export const OPENAI_OVERLOAD = {
  status: 503,
  type: "service_unavailable_error",
  code: "server_is_overloaded",
} as const;

/** How Anthropic's API says an overload. */
export const ANTHROPIC_OVERLOAD = { status: 529, type: "overloaded_error" } as const;

/** Whether the failure is an upstream's overload (a server fault whose upstream said so). */
export const isOverload = (error: GatewayError): boolean =>
  error.code === "upstream_error" && error.upstream?.overloaded === true;

/** The status an overload is answered with in `dialect` (OpenAI's 503, Anthropic's 529); undefined for any other failure. */
export function overloadStatus(error: GatewayError, dialect: Dialect): number | undefined {
  if (!isOverload(error)) return undefined;
  return dialect === "anthropic" ? ANTHROPIC_OVERLOAD.status : OPENAI_OVERLOAD.status;
}
