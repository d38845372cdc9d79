import type { Dialect } from "../core/dialect.ts";
import type { GatewayError } from "../core/gateway-error.ts";
import type { SseEvent } from "../core/sse.ts";

function openAIType(error: GatewayError): string {
  if (error.status === 401) return "authentication_error";
  if (error.status === 403) return "permission_error";
  if (error.code === "budget_exceeded") return "insufficient_quota";
  if (error.status === 429) return "rate_limit_error";
  if (error.status >= 500) return error.status === 503 ? "service_unavailable" : "server_error";
  return "invalid_request_error";
}

function anthropicType(error: GatewayError): string {
  switch (error.status) {
    case 401:
      return "authentication_error";
    case 403:
      return "permission_error";
    case 404:
      return "not_found_error";
    case 413:
      return "request_too_large";
    case 429:
      return "rate_limit_error";
    case 503:
      return "overloaded_error";
    default:
      return error.status >= 500 ? "api_error" : "invalid_request_error";
  }
}

/** The error object in the caller's dialect; the only place error bodies are shaped. */
export function errorBody(error: GatewayError, dialect: Dialect): object {
  if (dialect === "anthropic") {
    return { type: "error", error: { type: anthropicType(error), message: error.message } };
  }
  return {
    error: { message: error.message, type: openAIType(error), param: error.param ?? null, code: error.code },
  };
}

export function errorResponse(
  error: GatewayError,
  dialect: Dialect,
  headers: Record<string, string>,
): Response {
  // 499 is only ever recorded (the client is gone); it is never a status we can send.
  const status = error.status === 499 ? 400 : error.status;
  if (error.body !== undefined)
    return new Response(error.body, { status, headers: { ...headers, ...error.headers } });
  return Response.json(errorBody(error, dialect), { status, headers: { ...headers, ...error.headers } });
}

/** How a stream that already started reports a failure: OpenAI's error chunk, Anthropic's error event. */
export function errorEvent(error: GatewayError, dialect: Dialect): SseEvent {
  const data = JSON.stringify(errorBody(error, dialect));
  return dialect === "anthropic" ? { event: "error", data } : { data };
}
