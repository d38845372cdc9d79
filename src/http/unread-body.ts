/**
 * Whether a request came with a body the gateway has not begun to read. An answer given then (a
 * 401, a refusal at the door) closes the connection: kept alive, Bun reads and throws away all
 * the client goes on sending, any amount and unauthenticated, to reach the socket's next request.
 */
export function leavesBodyUnread(request: Request): boolean {
  if (request.bodyUsed) return false;
  const headers = request.headers;
  const length = headers.get("content-length");
  return (length !== null && length !== "0") || headers.has("transfer-encoding");
}
