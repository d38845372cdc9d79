import type { Dialect } from "../core/dialect.ts";
import { errorBody, relaysUpstreamBody } from "../core/error-wire.ts";
import type { GatewayError } from "../core/gateway-error.ts";
import { overloadStatus } from "../core/overload.ts";

/**
 * The status a caller gets for an error, and the one its audit row keeps: the upstream's own when
 * its body is relayed as sent, or when it is a server fault of the caller's own dialect whatever
 * its body (a proxy's HTML 503, an empty one: the status and Retry-After are what a client acts
 * on); else the gateway's, a context-length refusal's always 400, an upstream's overload the
 * caller's own API's (OpenAI's 503, Anthropic's 529: core/overload.ts).
 */
export function wireStatus(error: GatewayError, dialect: Dialect): number {
  const upstream = error.upstream;
  if (upstream && (relayed(error, dialect) || (upstream.dialect === dialect && upstream.status >= 500)))
    return upstream.status;
  const overload = overloadStatus(error, dialect);
  if (overload !== undefined) return overload;
  // 499 is only ever recorded (the client is gone); it is never a status we can send.
  if (error.status === 499) return 400;
  // A context-length refusal is a 400 in both dialects' own APIs, and clients act on it as one
  // (Claude Code compacts, or asks for a shorter answer); TGI sends its own as a 422.
  return error.code === "context_length_exceeded" ? 400 : error.status;
}

/** The upstream's own error, to a caller of its dialect: the very bytes it sent. */
const relayed = (error: GatewayError, dialect: Dialect) =>
  error.upstream?.text !== undefined && error.upstream.status >= 400 && relaysUpstreamBody(error, dialect);

/**
 * A GatewayError as the HTTP reply the caller's dialect expects (body from core/error-wire.ts;
 * `body`: that body, when the caller built it already for the record's message: `toldIn`).
 */
export function errorResponse(
  error: GatewayError,
  dialect: Dialect,
  headers: Record<string, string>,
  body: Record<string, unknown> = errorBody(error, dialect),
): Response {
  const status = wireStatus(error, dialect);
  const upstream = error.upstream;
  // The bytes as sent, unless the body had to be rewritten (core/scrub-account.ts).
  if (upstream?.text !== undefined && body === upstream.body && relayed(error, dialect)) {
    return new Response(upstream.text, {
      status,
      headers: { ...headers, "content-type": "application/json", ...error.headers },
    });
  }
  return Response.json(ownRequestId(body, error, dialect, headers), {
    status,
    headers: { ...headers, ...error.headers },
  });
}

/**
 * Anthropic's error bodies name their request at their top (`"request_id": "req_…"`, beside the
 * `request-id` header: the SDK's `ErrorResponse`), so the gateway's own do, with its request id. An
 * upstream's body that names its own is always rewritten (a `request_id` is among what
 * core/scrub-account.ts hides of the account), so names the gateway's, as the `request-id` header
 * does; only a body that names none is relayed as sent, and left so.
 */
function ownRequestId(
  body: Record<string, unknown>,
  error: GatewayError,
  dialect: Dialect,
  headers: Record<string, string>,
): Record<string, unknown> {
  const requestId = headers["request-id"];
  if (dialect !== "anthropic" || requestId === undefined) return body;
  if (body === error.upstream?.body && relaysUpstreamBody(error, dialect)) return body;
  return { ...body, request_id: requestId };
}
