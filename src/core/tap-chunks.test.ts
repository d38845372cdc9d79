import { expect, test } from "bun:test";
import { captureChunks } from "./capture-chunks.ts";
import type { ChunkSource } from "./chunk-source.ts";
import { GatewayError } from "./gateway-error.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

/** A source whose first piece is in hand; `drainedAfter` pieces handed out make it drained. */
function source(pieces: string[], drainedAfter?: number, failAt?: number) {
  let handed = 0;
  let cancelled = 0;
  const take = () => {
    if (failAt !== undefined && handed === failAt)
      throw new GatewayError({ status: 502, code: "upstream_error", message: "lost" });
    const piece = pieces[handed];
    if (piece === undefined) return undefined;
    handed++;
    return bytes(piece);
  };
  const chunks: ChunkSource = {
    ready: () => (handed === 0 ? take() : undefined),
    next: async () => take(),
    get drained() {
      return drainedAfter !== undefined && handed >= drainedAfter;
    },
    reported: undefined,
    cancel: () => {
      cancelled++;
    },
  };
  return { chunks, cancelled: () => cancelled };
}

test("a whole answer in the first read: drained passes through and the capture is kept without asking for the end", () => {
  const kept: string[] = [];
  const tapped = captureChunks(source(["data: whole\n\n"], 1).chunks, (text) => kept.push(text));
  expect(new TextDecoder().decode(tapped.ready?.())).toBe("data: whole\n\n");
  expect(tapped.drained).toBe(true);
  expect(kept).toEqual(["data: whole\n\n"]);
});

test("a stream read to its end keeps the text once, then cancel keeps nothing more", async () => {
  const kept: string[] = [];
  const { chunks, cancelled } = source(["a", "b", "c"]);
  const tapped = captureChunks(chunks, (text) => kept.push(text));
  tapped.ready?.();
  while (await tapped.next()) {}
  expect(tapped.drained).toBe(false);
  tapped.cancel();
  expect(kept).toEqual(["abc"]);
  expect(cancelled()).toBe(1);
});

test("a stream drained on a later read keeps the text on that read", async () => {
  const kept: string[] = [];
  const tapped = captureChunks(source(["a", "b"], 2).chunks, (text) => kept.push(text));
  tapped.ready?.();
  expect(kept).toEqual([]);
  await tapped.next();
  expect(tapped.drained).toBe(true);
  expect(kept).toEqual(["ab"]);
});

test("a failing stream keeps what came before the failure, and the failure reaches the reader", async () => {
  const kept: string[] = [];
  const tapped = captureChunks(source(["a", "b"], undefined, 1).chunks, (text) => kept.push(text));
  tapped.ready?.();
  await expect(tapped.next()).rejects.toThrow("lost");
  expect(kept).toEqual(["a"]);
});

test("the capture stays bounded and marks the cut", async () => {
  const kept: string[] = [];
  const tapped = captureChunks(source(["12345", "67890"]).chunks, (text) => kept.push(text), 7);
  tapped.ready?.();
  while (await tapped.next()) {}
  expect(kept).toEqual(["1234567\n[cut at 7 characters]"]);
});
