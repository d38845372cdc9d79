import type { ChunkSource } from "./chunk-source.ts";
import { tapChunks } from "./tap-chunks.ts";

/** The most of a streamed answer kept for the audit log; the rest is marked as cut. */
export const MAX_CAPTURED_STREAM = 256 * 1024;

/**
 * Passes a stream through while keeping a copy of its wire text for the audit log, bounded
 * so a long generation cannot grow memory. `keep` receives the text when the stream ends.
 */
export function captureChunks(
  chunks: ChunkSource,
  keep: (text: string) => void,
  limit = MAX_CAPTURED_STREAM,
): ChunkSource {
  const decoder = new TextDecoder();
  let text = "";
  let cut = false;
  return tapChunks(chunks, {
    copy(chunk) {
      if (cut) return;
      text += decoder.decode(chunk, { stream: true });
      if (text.length > limit) {
        text = `${text.slice(0, limit)}\n[cut at ${limit} characters]`;
        cut = true;
      }
    },
    finish: () => keep(text),
  });
}
