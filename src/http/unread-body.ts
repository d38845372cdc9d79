import type { Dialect } from "../core/dialect.ts";
import { idHeaders } from "./request-id.ts";

/**
 * A body declared at most this large has come with its head, or all but: skipped unread, it costs
 * the connection next to nothing.
 */
const SMALL_BODY = 64 * 1024;

/**
 * Whether an answer given before the request's body was read (a 401, a refusal at the door)
 * closes the connection. Kept alive, Bun reads and throws away all the client goes on sending to
 * reach the socket's next request: a body declared large, or chunked (of any size), could be any
 * amount, unauthenticated. A small one is in already, and its client keeps its connection: an
 * overloaded gateway's refusals (503 at capacity, 429 at `max_client_requests`) closed it, to be
 * opened again (TLS, behind a load balancer) exactly when the gateway is busiest. A caller refused
 * as unknown (401) is not kept whatever its body: nothing of it is read.
 */
export function closesUnread(request: Request, status: number): boolean {
  if (request.bodyUsed) return false;
  const headers = request.headers;
  if (headers.has("transfer-encoding")) return true;
  const length = headers.get("content-length");
  if (length === null || length === "0") return false;
  return status === 401 || !(Number(length) <= SMALL_BODY);
}

/**
 * The headers of an answer no handler gave (no such route, a method the path does not take,
 * OPTIONS), its body unread: the connection closes behind a large or chunked one, as at the door's
 * refusals, or Bun would read on all an unauthenticated client sends to any path.
 */
export function unreadBodyHeaders(
  request: Request,
  status: number,
  requestId: string,
  dialect: Dialect,
): Record<string, string> {
  const headers = idHeaders(requestId, dialect);
  return closesUnread(request, status) ? { ...headers, connection: "close" } : headers;
}
