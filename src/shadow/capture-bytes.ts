import type { ChunkSource } from "../core/chunk-source.ts";
import { tapChunks } from "../core/tap-chunks.ts";

/**
 * Passes a stream through while copying its wire bytes, for the shadow pair: unlike
 * core/capture-chunks.ts (the audit log's text), nothing is decoded on the event loop, and the
 * bytes cross to the shadow thread as they are. Bounded: a stream's text is cut at `limit`
 * characters where it is read (answerOf in shadow-record.ts), and `limit` characters never take
 * more than 4 bytes each, so bytes past `4 × limit` are never needed. `keep` receives the
 * bytes when the stream ends (a copy: the source may reuse its buffers).
 */
export function captureBytes(
  chunks: ChunkSource,
  keep: (bytes: Uint8Array) => void,
  limit: number,
): ChunkSource {
  const most = 4 * limit;
  let buffer = new Uint8Array(4096);
  let length = 0;
  return tapChunks(chunks, {
    copy(chunk) {
      if (length >= most) return;
      const take = Math.min(chunk.byteLength, most - length);
      if (length + take > buffer.byteLength) {
        const grown = new Uint8Array(Math.max(buffer.byteLength * 2, length + take));
        grown.set(buffer.subarray(0, length));
        buffer = grown;
      }
      buffer.set(take === chunk.byteLength ? chunk : chunk.subarray(0, take), length);
      length += take;
    },
    finish: () => keep(buffer.subarray(0, length)),
  });
}
