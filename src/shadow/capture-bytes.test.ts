import { expect, test } from "bun:test";
import { captureChunks } from "../core/capture-chunks.ts";
import type { ChunkSource } from "../core/chunk-source.ts";
import { captureBytes } from "./capture-bytes.ts";
import { capturedText } from "./shadow-record.ts";

/** A stream of `parts`; `drained` set with the last one, as a relay whose end came with its read. */
function source(parts: Uint8Array[], whole = false): ChunkSource & { cancelled: boolean } {
  let i = 0;
  const state = {
    cancelled: false,
    reported: undefined,
    get drained() {
      return whole && i >= parts.length;
    },
    ready: () => (whole && i === 0 ? parts[i++] : undefined),
    next: async () => parts[i++],
    cancel() {
      state.cancelled = true;
    },
  };
  return state;
}

async function drain(chunks: ChunkSource): Promise<number> {
  let seen = 0;
  const first = chunks.ready?.();
  if (first) seen += first.byteLength;
  if (chunks.drained) return seen;
  for (let chunk = await chunks.next(); chunk; chunk = await chunks.next()) seen += chunk.byteLength;
  return seen;
}

const text = 'data: {"choices":[{"delta":{"content":"héllo wörld ✓ 𝄞"}}]}\n\n'.repeat(40);
const bytes = new TextEncoder().encode(text);

test("the captured bytes read as the audit's captured text, at every split and at the bound", async () => {
  for (const limit of [10_000, 300, 17]) {
    for (const at of [1, 7, 45, 46, 47, 1000]) {
      const parts = [bytes.subarray(0, at), bytes.subarray(at)];
      let kept: Uint8Array | undefined;
      let keptText: string | undefined;
      const passed = await drain(
        captureChunks(
          captureBytes(source(parts), (b) => (kept = b.slice()), limit),
          (t) => (keptText = t),
          limit,
        ),
      );
      expect(passed).toBe(bytes.byteLength);
      expect(kept && capturedText(kept, limit)).toBe(keptText as string);
    }
  }
});

test("a whole answer in one read: drained passes through, and the bytes are kept without asking for the end", async () => {
  let kept: Uint8Array | undefined;
  const chunks = captureBytes(source([bytes], true), (b) => (kept = b), 1000);
  expect(chunks.drained).toBe(false);
  expect(chunks.ready?.()).toBe(bytes);
  expect(chunks.drained).toBe(true);
  expect(kept && new TextDecoder().decode(kept)).toBe(text);
});

test("a cancelled stream keeps what passed and cancels its source", async () => {
  let kept: Uint8Array | undefined;
  const inner = source([bytes.subarray(0, 10), bytes.subarray(10)]);
  const chunks = captureBytes(inner, (b) => (kept = b), 1000);
  await chunks.next();
  chunks.cancel();
  expect(inner.cancelled).toBe(true);
  expect(kept).toEqual(bytes.subarray(0, 10));
});
