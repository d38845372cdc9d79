import type { Dialect } from "../core/dialect.ts";
import { errorBody } from "../core/error-wire.ts";
import type { GatewayError } from "../core/gateway-error.ts";

/** A GatewayError as the HTTP reply the caller's dialect expects (body from core/error-wire.ts). */
export function errorResponse(
  error: GatewayError,
  dialect: Dialect,
  headers: Record<string, string>,
): Response {
  // 499 is only ever recorded (the client is gone); it is never a status we can send.
  const status = error.status === 499 ? 400 : error.status;
  const upstream = error.upstream;
  if (upstream?.body && upstream.text !== undefined && upstream.dialect === dialect) {
    // The upstream's own error, to a caller of its dialect: the very bytes it sent.
    return new Response(upstream.text, {
      status,
      headers: { ...headers, "content-type": "application/json", ...error.headers },
    });
  }
  return Response.json(errorBody(error, dialect), { status, headers: { ...headers, ...error.headers } });
}
