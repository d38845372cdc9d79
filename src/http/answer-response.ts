/**
 * The init every answer's `Response` is made with, filled in just before the constructor reads
 * it: the constructor reads it at once and keeps nothing of it (the headers are copied into the
 * response's own), so no init object is made a request. Its headers are cleared after, so it
 * holds no request's.
 */
const init: { status: number; headers: Record<string, string> | undefined } = {
  status: 200,
  headers: undefined,
};

/** An answer with `body`, `status` and the request's own `headers` (a relayed answer, a stream). */
export function answerResponse(
  body: Uint8Array<ArrayBuffer> | ReadableStream<Uint8Array>,
  status: number,
  headers: Record<string, string>,
): Response {
  init.status = status;
  init.headers = headers;
  const response = new Response(body, init);
  init.headers = undefined;
  return response;
}
