import { z } from "zod";
import { callerErrorCode } from "./caller-error-code.ts";
import { CONTEXT_TOO_LONG, readContextOverflow } from "./context-overflow.ts";
import { fieldsForCallers } from "./for-callers.ts";
import type { ErrorCode, GatewayError } from "./gateway-error.ts";
import { ANTHROPIC_OVERLOAD, isOverload } from "./overload.ts";
import { saysContextTooLong } from "./says-context-too-long.ts";

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
  unsupported_modality: "invalid_request_error",
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
  upstream_auth: "api_error",
  upstream_account: "api_error",
  upstream_timeout: "timeout_error",
  no_route_available: "overloaded_error",
  worker_lost: "api_error",
  unavailable: "overloaded_error",
  over_capacity: "overloaded_error",
  audit_unavailable: "overloaded_error",
  storage_unavailable: "overloaded_error",
  storage_outcome_unknown: "api_error",
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

/** The fields of an error in Anthropic's shape. */
interface AnthropicWireError {
  type: AnthropicErrorType;
  message: string;
}

/**
 * The error in Anthropic's shape (`{"type":"error","error":{type,message}}`). An Anthropic
 * upstream's own type is kept; any other upstream's overload is `overloaded_error`
 * (core/overload.ts); an OpenAI upstream's maps through fromOpenAI; the gateway's own errors through
 * TYPE. What an upstream's message says of the gateway's upstream account is
 * left out, as are its places and credentials (core/for-callers.ts).
 */
export function anthropicWireError(error: GatewayError): AnthropicWireError {
  return fieldsForCallers(wireFields(error), error);
}

/** `anthropicWireError` but for the message's scrubbing. */
function wireFields(error: GatewayError): AnthropicWireError {
  const upstream = error.upstream;
  const own = upstream?.dialect === "anthropic" ? anthropicErrorType.safeParse(upstream.type) : undefined;
  // An engine's context refusal is said in Anthropic's words, whichever type it gave.
  if (own?.success && !needsAnthropicWords(error)) return { type: own.data, message: error.message };
  if (error.code === "context_length_exceeded") {
    return { type: "invalid_request_error", message: contextRefusal(error.message) };
  }
  if (isOverload(error)) return { type: ANTHROPIC_OVERLOAD.type, message: error.message };
  const mapped = upstream?.dialect === "openai" ? fromOpenAI(upstream.type, upstream.code) : undefined;
  if (mapped) return { type: mapped, message: error.message };
  const type =
    error.status === 503 && error.code === "upstream_error" ? "overloaded_error" : TYPE[error.code];
  return { type, message: error.message };
}

/**
 * A context-length refusal (an OpenAI-dialect upstream's, or the gateway's own) in the words of
 * Anthropic's API, which Claude Code acts on. When the refusal says the prompt alone fits the
 * window and the answer asked for is what does not (vLLM's, OpenRouter's, the gateway's own
 * estimate), ``input length and `max_tokens` exceed context limit: P + A > W, …``: Claude Code asks
 * again for a shorter answer. Otherwise `prompt is too long: P tokens > W maximum`, and it compacts
 * the conversation; when the numbers are not given, the original message follows the words.
 */
export function contextRefusal(message: string): string {
  if (message.startsWith("prompt is too long") || message.startsWith(MAX_TOKENS_WORDS)) return message;
  const overflow = readContextOverflow(message);
  if (overflow?.answer !== undefined && overflow.prompt < overflow.window) {
    const { prompt, answer, window } = overflow;
    return `${MAX_TOKENS_WORDS}: ${prompt} + ${answer} > ${window}, decrease input length or \`max_tokens\` and try again`;
  }
  if (overflow) return `prompt is too long: ${overflow.prompt} tokens > ${overflow.window} maximum`;
  // Bedrock's words begin with AWS's exception name ("ValidationException: Input is too long…"),
  // a name that is not lowercased.
  const named = EXCEPTION_NAME.test(message);
  return `prompt is too long: ${named ? message : `${message.charAt(0).toLowerCase()}${message.slice(1)}`}`;
}

/** An AWS exception's name before its message (`ValidationException: …`). */
const EXCEPTION_NAME = /^[A-Z]\w*Exception:/;

/** How Anthropic's API begins a refusal whose prompt fits and whose `max_tokens` does not. */
const MAX_TOKENS_WORDS = "input length and `max_tokens` exceed context limit";

/** Reads an Anthropic error body: its type and message. */
export function readAnthropicError(body: unknown): { type: string; message: string } | undefined {
  const parsed = anthropicErrorBody.safeParse(body);
  return parsed.success ? parsed.data.error : undefined;
}

/**
 * Whether an Anthropic `not_found_error` is about the model: Anthropic names it so, `model: <name>`.
 * Any other is about something else the request named (a file, a batch) or a path.
 */
export const namesAnthropicModel = (message: string): boolean => message.startsWith("model: ");

/**
 * Claude's words for a request its context window cannot hold: the prompt alone ("prompt is too
 * long: P tokens > W maximum"), or the prompt and `max_tokens` together ("input length and
 * `max_tokens` exceed context limit: P + A > W"). Anthropic's API says them, and Bedrock serving
 * Claude after "ValidationException: " (providers/bedrock/bedrock-errors.ts). Those alone: another
 * engine's words in Anthropic's shape (MiniMax's "invalid params, context window exceeds limit
 * (2013)") are CONTEXT_TOO_LONG's, and said to Anthropic callers in these (`needsAnthropicWords`).
 */
export const ANTHROPIC_CONTEXT_TOO_LONG = /prompt is too long|exceed context limit/i;

/**
 * The gateway's code for a caller-fault Anthropic upstream error. Anthropic has no code for a
 * request its context window cannot hold (a prompt too long, or a prompt and `max_tokens` that
 * exceed the limit together); its message says so, and OpenAI callers get OpenAI's code for it.
 * A server that serves Anthropic's API on its own engine says it in that engine's words, in
 * Anthropic's shape (vLLM's and SGLang's `/v1/messages`: "This model's maximum context length is
 * …", type `BadRequestError`; MiniMax's "invalid params, context window exceeds limit (2013)"):
 * read as any OpenAI-compatible server's are (`needsAnthropicWords`).
 * A 404 (`not_found_error`) naming the route's model is the route's, not the caller's
 * (core/upstream-fault.ts). A listing of validation errors, which quotes the caller's prompt, is
 * never read as a context refusal (`saysContextTooLong`).
 */
export function codeFromAnthropic(
  status: number,
  error: { type: string; message: string } | undefined,
): ErrorCode {
  if (error && saysContextTooLong(error.message, ANTHROPIC_CONTEXT_TOO_LONG))
    return "context_length_exceeded";
  if (error && (status === 400 || status === 422) && saysContextTooLong(error.message, CONTEXT_TOO_LONG))
    return "context_length_exceeded";
  if (error?.type === "request_too_large") return "payload_too_large";
  return callerErrorCode(status);
}

/**
 * Whether an Anthropic-shaped error body is a context-length refusal not in Anthropic's words (an
 * engine's own, `codeFromAnthropic`): Claude Code acts on Anthropic's alone ("prompt is too long",
 * on which it compacts; "input length and `max_tokens` exceed context limit", on which it asks for
 * less), so such a body is not relayed as sent: its numbers go in Anthropic's words
 * (`contextRefusal`).
 */
export function needsAnthropicWords(error: GatewayError): boolean {
  if (error.code !== "context_length_exceeded") return false;
  const said = readAnthropicError(error.upstream?.body);
  return said !== undefined && !ANTHROPIC_CONTEXT_TOO_LONG.test(said.message);
}

/**
 * Whether an Anthropic-shaped error body's type is one of Anthropic's own. The Anthropic SDK and
 * Claude Code switch on those; a server that serves Anthropic's API on another engine may give its
 * own (MiniMax's `bad_request_error`, vLLM's and SGLang's `BadRequestError`), which its callers get
 * as Anthropic's type for the status instead (`anthropicWireError`), its words kept.
 */
export function saysAnthropicType(body: unknown): boolean {
  const said = readAnthropicError(body);
  return said !== undefined && anthropicErrorType.safeParse(said.type).success;
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
