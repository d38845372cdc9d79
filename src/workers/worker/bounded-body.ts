/**
 * Most of an upstream's refusal the worker reads before relaying it (answer-relay.ts reads a
 * refusal whole, to take its `--upstream-key` out): an error body is a few hundred bytes, and one
 * that never ends must not hold the worker's memory nor the call.
 */
export const REFUSAL_READ_LIMIT = 1 << 20;

/**
 * `response`'s body up to `limit` bytes: all of it when it is no longer, else its first `limit`
 * bytes, the rest cancelled unread (a cut JSON body reads as what it is, a body cut short).
 */
export async function bytesAtMost(response: Response, limit = REFUSAL_READ_LIMIT): Promise<Uint8Array> {
  const reader = response.body?.getReader();
  if (!reader) return new Uint8Array(0);
  const pieces: Uint8Array[] = [];
  let size = 0;
  while (size < limit) {
    const read = await reader.read();
    if (read.done) return Buffer.concat(pieces, size);
    pieces.push(read.value);
    size += read.value.byteLength;
  }
  await reader.cancel().catch(() => {});
  return Buffer.concat(pieces, size).subarray(0, limit);
}
