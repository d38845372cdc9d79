import { z } from "zod";
import type { ErrorCode, GatewayError } from "./gateway-error.ts";

/** Anthropic's closed set of error types. */
export const anthropicErrorType = z.enum([
  "invalid_request_error",
  "authentication_error",
  "billing_error",
  "permission_error",
  "not_found_error",
  "request_too_large",
  "rate_limit_error",
  "timeout_error",
  "api_error",
  "overloaded_error",
]);
export type AnthropicErrorType = z.infer<typeof anthropicErrorType>;

/** The error body Anthropic sends, as a reply and as an `error` stream event. */
export const anthropicErrorBody = z.looseObject({
  type: z.literal("error"),
  error: z.looseObject({ type: z.string(), message: z.string() }),
});

/** Anthropic's `type` for each of the gateway's error codes. */
const TYPE: Record<ErrorCode, AnthropicErrorType> = {
  invalid_json: "invalid_request_error",
  invalid_request: "invalid_request_error",
  missing_model: "invalid_request_error",
  model_not_found: "not_found_error",
  unsupported_operation: "invalid_request_error",
  context_length_exceeded: "invalid_request_error",
  not_found: "not_found_error",
  method_not_allowed: "invalid_request_error",
  upgrade_required: "invalid_request_error",
  previous_response_not_found: "invalid_request_error",
  unauthorized: "authentication_error",
  forbidden: "permission_error",
  payload_too_large: "request_too_large",
  rate_limited: "rate_limit_error",
  budget_exceeded: "rate_limit_error",
  upstream_error: "api_error",
  upstream_timeout: "timeout_error",
  no_route_available: "overloaded_error",
  worker_lost: "api_error",
  unavailable: "overloaded_error",
  over_capacity: "overloaded_error",
  audit_unavailable: "overloaded_error",
  storage_unavailable: "overloaded_error",
  internal_error: "api_error",
  client_closed: "invalid_request_error",
};

/** An OpenAI upstream's `type`/`code`, as Anthropic's own API would have said it. */
function fromOpenAI(type: string | undefined, code: string | undefined): AnthropicErrorType | undefined {
  if (code === "invalid_api_key") return "authentication_error";
  if (code === "insufficient_quota" || type === "insufficient_quota") return "billing_error";
  if (code === "rate_limit_exceeded" || type === "requests" || type === "tokens") return "rate_limit_error";
  if (code === "overloaded") return "overloaded_error";
  return undefined;
}

/**
 * The error in Anthropic's shape (`{"type":"error","error":{type,message}}`). An Anthropic
 * upstream's own type is kept; an OpenAI upstream's maps through fromOpenAI; the gateway's
 * own errors through TYPE.
 */
export function anthropicWireError(error: GatewayError): { type: AnthropicErrorType; message: string } {
  const upstream = error.upstream;
  const own = upstream?.dialect === "anthropic" ? anthropicErrorType.safeParse(upstream.type) : undefined;
  if (own?.success) return { type: own.data, message: error.message };
  if (error.code === "context_length_exceeded") {
    return { type: "invalid_request_error", message: promptTooLong(error.message) };
  }
  const mapped = upstream?.dialect === "openai" ? fromOpenAI(upstream.type, upstream.code) : undefined;
  if (mapped) return { type: mapped, message: error.message };
  const type =
    error.status === 503 && error.code === "upstream_error" ? "overloaded_error" : TYPE[error.code];
  return { type, message: error.message };
}

/**
 * A context-length refusal (an OpenAI upstream's, or the gateway's own) in Anthropic's words,
 * `prompt is too long: N tokens > M maximum`: Claude Code compacts the conversation when it reads
 * them. The numbers come from OpenAI's wording ("maximum context length is M tokens … resulted
 * in / requested N tokens") or Google's; when N is not given, the original message follows the words.
 */
export function promptTooLong(message: string): string {
  if (message.startsWith("prompt is too long")) return message;
  const google = GOOGLE_TOO_LONG.exec(message);
  const maximum = /maximum context length is (\d+) tokens/i.exec(message)?.[1] ?? google?.[2];
  const prompt = /(?:resulted in|requested) (\d+) tokens/i.exec(message)?.[1] ?? google?.[1];
  if (maximum && prompt) return `prompt is too long: ${prompt} tokens > ${maximum} maximum`;
  return `prompt is too long: ${message.charAt(0).toLowerCase()}${message.slice(1)}`;
}

/** Gemini's and Vertex AI's words: "The input token count (N) exceeds the maximum number of tokens allowed (M)". */
const GOOGLE_TOO_LONG = /input token count \((\d+)\) exceeds the maximum number of tokens allowed \((\d+)\)/i;

/** Reads an Anthropic error body: its type and message. */
export function readAnthropicError(body: unknown): { type: string; message: string } | undefined {
  const parsed = anthropicErrorBody.safeParse(body);
  return parsed.success ? parsed.data.error : undefined;
}

/**
 * The gateway's code for a caller-fault Anthropic upstream error. Anthropic has no code for a
 * prompt that is too long; its message says so, and OpenAI callers get OpenAI's code for it.
 */
export function codeFromAnthropic(
  status: number,
  error: { type: string; message: string } | undefined,
): ErrorCode {
  if (error && /prompt is too long|context window|too many tokens/i.test(error.message)) {
    return "context_length_exceeded";
  }
  if (status === 404 || error?.type === "not_found_error") return "model_not_found";
  if (status === 413 || error?.type === "request_too_large") return "payload_too_large";
  return "invalid_request";
}

/** The status an Anthropic error type stands for (in a stream, only the type is known). */
export function statusForAnthropicType(type: string): number {
  const known = anthropicErrorType.safeParse(type);
  if (!known.success) return 500;
  const status: Record<AnthropicErrorType, number> = {
    invalid_request_error: 400,
    authentication_error: 401,
    billing_error: 402,
    permission_error: 403,
    not_found_error: 404,
    request_too_large: 413,
    rate_limit_error: 429,
    timeout_error: 504,
    api_error: 500,
    overloaded_error: 529,
  };
  return status[known.data];
}
