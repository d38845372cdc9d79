/**
 * Chunks as one buffer of its own: upstream reads that arrived in pieces, an event split across
 * two reads. A fresh `Uint8Array` rather than `Buffer.concat`: Node's `Buffer.concat` may hand
 * back a slice of its shared pool (under 4 KiB), whose `.buffer` is the whole pool — other
 * requests' bytes behind a `Uint8Array<ArrayBuffer>` that a body or a retained answer could
 * expose or keep alive. Bun does not pool today; this does not depend on that.
 */
export function joinBytes(chunks: readonly Uint8Array[], size = byteLength(chunks)): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}

/** Two chunks as one (`joinBytes`), with no array made to pass them: an event split across two reads. */
export function joinTwo(first: Uint8Array, second: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(first.byteLength + second.byteLength);
  out.set(first);
  out.set(second, first.byteLength);
  return out;
}

function byteLength(chunks: readonly Uint8Array[]): number {
  let size = 0;
  for (const chunk of chunks) size += chunk.byteLength;
  return size;
}
