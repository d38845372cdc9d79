import { z } from "zod";
import type { JsonObject } from "../core/dialect.ts";
import { anthropicErrorBody } from "./anthropic-schema.ts";
import { openAIErrorBody } from "./openai-schema.ts";

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

/** An upstream error reshaped for the caller: the status to answer with and the body. */
export interface TranslatedError {
  status: number;
  body: JsonObject;
}

/** Anthropic's error type for an HTTP status, as Anthropic itself assigns them. */
export function anthropicErrorTypeForStatus(status: number): AnthropicErrorType {
  if (status === 400 || status === 422) return "invalid_request_error";
  if (status === 401) return "authentication_error";
  if (status === 402) return "billing_error";
  if (status === 403) return "permission_error";
  if (status === 404) return "not_found_error";
  if (status === 413) return "request_too_large";
  if (status === 429) return "rate_limit_error";
  if (status === 504) return "timeout_error";
  if (status === 503 || status === 529) return "overloaded_error";
  if (status >= 400 && status < 500) return "invalid_request_error";
  return "api_error";
}

/** The status an Anthropic error type stands for (used when only the type is known, in streams). */
const statusForAnthropicType: Record<AnthropicErrorType, number> = {
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

/** OpenAI `type` and `code` for each Anthropic error type, after OpenAI's own replies. */
const openAIShapeFor: Record<AnthropicErrorType, { type: string; code: string | null }> = {
  invalid_request_error: { type: "invalid_request_error", code: null },
  authentication_error: { type: "invalid_request_error", code: "invalid_api_key" },
  billing_error: { type: "insufficient_quota", code: "insufficient_quota" },
  permission_error: { type: "invalid_request_error", code: "permission_denied" },
  not_found_error: { type: "invalid_request_error", code: "not_found" },
  request_too_large: { type: "invalid_request_error", code: "request_too_large" },
  rate_limit_error: { type: "requests", code: "rate_limit_exceeded" },
  timeout_error: { type: "server_error", code: "timeout" },
  api_error: { type: "server_error", code: null },
  overloaded_error: { type: "server_error", code: "overloaded" },
};

const messageOf = (body: unknown, fallback: string): string => {
  const openai = openAIErrorBody.safeParse(body);
  if (openai.success && openai.data.error.message) return openai.data.error.message;
  const anthropic = anthropicErrorBody.safeParse(body);
  if (anthropic.success) return anthropic.data.error.message;
  return fallback;
};

/** An OpenAI-dialect upstream error (status + body) in Anthropic's shape. */
export function openAIErrorToAnthropic(status: number, body: unknown): TranslatedError {
  const type = anthropicErrorTypeForStatus(status);
  const message = messageOf(body, `upstream error (status ${status})`);
  return { status, body: anthropicErrorEnvelope(type, message) };
}

/**
 * An Anthropic-dialect upstream error in OpenAI's shape. Anthropic's 529 (overloaded) is not a
 * status OpenAI clients know; they get 503, which their SDKs retry the same way.
 */
export function anthropicErrorToOpenAI(status: number, body: unknown): TranslatedError {
  const parsed = anthropicErrorBody.safeParse(body);
  const known = parsed.success ? anthropicErrorType.safeParse(parsed.data.error.type) : undefined;
  const type = known?.success ? known.data : anthropicErrorTypeForStatus(status);
  const message = messageOf(body, `upstream error (status ${status})`);
  return { status: status === 529 ? 503 : status, body: openAIErrorEnvelope(type, message) };
}

/** Anthropic error body: `{"type":"error","error":{type,message}}`. */
export function anthropicErrorEnvelope(type: AnthropicErrorType, message: string): JsonObject {
  return { type: "error", error: { type, message } };
}

/** OpenAI error body `{"error":{message,type,param,code}}` for an Anthropic error type. */
export function openAIErrorEnvelope(type: AnthropicErrorType | string, message: string): JsonObject {
  const known = anthropicErrorType.safeParse(type);
  const shape = known.success ? openAIShapeFor[known.data] : { type: "server_error", code: null };
  return { error: { message, type: shape.type, param: null, code: shape.code } };
}

/** The status an Anthropic error type stands for. */
export function statusForAnthropicErrorType(type: string): number {
  const known = anthropicErrorType.safeParse(type);
  return known.success ? statusForAnthropicType[known.data] : 500;
}
