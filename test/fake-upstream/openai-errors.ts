import type { ErrorDialect } from "./fake-call.ts";
import { sseFrame } from "./fake-call.ts";

/** `type` and `code` the OpenAI API uses for each status. */
const KINDS: Record<number, [type: string, code: string | null]> = {
  400: ["invalid_request_error", null],
  401: ["invalid_request_error", "invalid_api_key"],
  403: ["invalid_request_error", "unsupported_country_region_territory"],
  404: ["invalid_request_error", "model_not_found"],
  409: ["invalid_request_error", null],
  413: ["invalid_request_error", "request_too_large"],
  422: ["invalid_request_error", null],
  429: ["requests", "rate_limit_exceeded"],
};

/** `{"error":{"message","type","param","code"}}` */
export const openaiErrors: ErrorDialect = {
  body(status, message, param, code) {
    const [type, usual] =
      KINDS[status] ?? (status >= 500 ? ["server_error", null] : ["invalid_request_error", null]);
    return { error: { message, type, param: param ?? null, code: code ?? usual } };
  },
  streamFrame(message) {
    return sseFrame({ error: { message, type: "server_error", param: null, code: null } });
  },
  requestIdHeader: "x-request-id",
};
