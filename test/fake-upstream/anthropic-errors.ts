import type { ErrorDialect } from "./fake-call.ts";
import { sseFrame } from "./fake-call.ts";

/** The Anthropic API's error `type` for each status. */
const TYPES: Record<number, string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  402: "billing_error",
  403: "permission_error",
  404: "not_found_error",
  413: "request_too_large",
  429: "rate_limit_error",
  500: "api_error",
  504: "timeout_error",
  529: "overloaded_error",
};

const typeOf = (status: number) => TYPES[status] ?? (status >= 500 ? "api_error" : "invalid_request_error");

/** `{"type":"error","error":{"type","message"}}` */
export const anthropicErrors: ErrorDialect = {
  body(status, message) {
    return { type: "error", error: { type: typeOf(status), message } };
  },
  streamFrame(message) {
    return sseFrame({ type: "error", error: { type: "overloaded_error", message } }, "error");
  },
  requestIdHeader: "request-id",
};
