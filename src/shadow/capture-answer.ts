import type { ChunkSource } from "../core/chunk-source.ts";
import type { Operation } from "../core/dialect.ts";
import { tapChunks } from "../core/tap-chunks.ts";
import { DEFAULT_MAX_UPSTREAM_BODY } from "../providers/http/read-bounded.ts";
import type { Answer } from "./answer.ts";
import { SseAnswerReader } from "./sse-answer-reader.ts";

/** The primary's stream as the pair keeps it: its wire bytes, or, for a long one, its answer read. */
export type CapturedStream =
  /** The whole stream's bytes (a copy: the source may reuse its buffers), read where the pair is recorded. */
  | { readonly kind: "sse"; readonly body: Uint8Array }
  /** A stream past the window, read as it passed. */
  | { readonly kind: "answer"; readonly answer: Answer };

/**
 * Passes the primary's stream through while keeping what the pair needs of it, the whole answer
 * however long. Nothing is decoded on the event loop while the stream stays within `window` bytes
 * (nearly every answer): its bytes cross to the shadow thread as they are, and are read there.
 * Past the window, holding the bytes would cost many times the answer's size (every token wrapped
 * in its event's JSON), so the bytes so far and each chunk after are read as they pass
 * (SseAnswerReader: parsed in large slices), and only the answer is held: up to `most` characters
 * (a copy's bound, read-copy.ts), past which the rest passes unread, so a stream that never ends
 * holds no more than a copy may; the answer is then marked `cut`, and the pair not compared. `keep` receives it when the stream ends, fails or is cancelled
 * (what was read until then).
 */
export function captureAnswer(
  chunks: ChunkSource,
  operation: Operation,
  keep: (captured: CapturedStream) => void,
  window: number,
  most = DEFAULT_MAX_UPSTREAM_BODY,
): ChunkSource {
  let buffer = new Uint8Array(4096);
  let length = 0;
  let reading: { reader: SseAnswerReader; decoder: TextDecoder; full: boolean } | undefined;
  const read = (bytes: Uint8Array) => {
    if (!reading || reading.full) return;
    // A read's characters are at most its bytes: what is held never passes `most`.
    if (reading.reader.held + bytes.byteLength > most) {
      reading.full = true;
      return;
    }
    reading.reader.push(reading.decoder.decode(bytes, { stream: true }));
  };
  return tapChunks(chunks, {
    copy(chunk) {
      if (reading) return read(chunk);
      if (length + chunk.byteLength > window) {
        reading = { reader: new SseAnswerReader(operation), decoder: new TextDecoder(), full: false };
        read(buffer.subarray(0, length));
        buffer = new Uint8Array(0);
        length = 0;
        return read(chunk);
      }
      if (length + chunk.byteLength > buffer.byteLength) {
        const grown = new Uint8Array(
          Math.min(window, Math.max(buffer.byteLength * 2, length + chunk.byteLength)),
        );
        grown.set(buffer.subarray(0, length));
        buffer = grown;
      }
      buffer.set(chunk, length);
      length += chunk.byteLength;
    },
    finish() {
      if (!reading) return keep({ kind: "sse", body: buffer.subarray(0, length) });
      if (!reading.full) reading.reader.push(reading.decoder.decode());
      const answer = reading.reader.finish().answer;
      // What passed unread leaves the pair uncompared (agreement.ts), never a shortened answer taken whole.
      if (reading.full) answer.cut = true;
      keep({ kind: "answer", answer });
    },
  });
}
