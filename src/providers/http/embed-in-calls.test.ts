import { expect, test } from "bun:test";
import { embedInCalls } from "./embed-in-calls.ts";

test("calls of at most perCall texts, at most eight at once, joined in the texts' order", async () => {
  const texts = Array.from({ length: 25 }, (_, i) => `t${i}`);
  let inFlight = 0;
  let most = 0;
  const calls: string[][] = [];
  const gates: (() => void)[] = [];
  const embedded = embedInCalls(texts, 2, async (batch) => {
    calls.push([...batch]);
    inFlight++;
    most = Math.max(most, inFlight);
    await new Promise<void>((resolve) => gates.push(resolve));
    inFlight--;
    return { vectors: batch.map((text) => [Number(text.slice(1))]), inputTokens: batch.length };
  });
  // Let the calls out in reverse order of sending, a turn at a time: the answer keeps the texts' order.
  while (calls.length < 13 || gates.length > 0) {
    await Promise.resolve();
    gates.pop()?.();
  }
  const { vectors, inputTokens } = await embedded;
  expect(vectors).toEqual(texts.map((_, i) => [i]));
  expect(inputTokens).toBe(25);
  expect(calls).toHaveLength(13);
  expect(calls.every((batch) => batch.length <= 2)).toBe(true);
  expect(most).toBe(8);
});

test("a call that counted no tokens leaves the sum uncounted", async () => {
  let call = 0;
  const { inputTokens } = await embedInCalls(["a", "b"], 1, async () => ({
    vectors: [[1]],
    inputTokens: call++ === 0 ? 3 : undefined,
  }));
  expect(inputTokens).toBeUndefined();
});

test("a failed call fails the whole", async () => {
  const error = await embedInCalls(["a", "b", "c"], 1, async ([text]) => {
    if (text === "b") throw new Error("refused");
    return { vectors: [[1]], inputTokens: 1 };
  }).catch((e: unknown) => e);
  expect(error).toEqual(new Error("refused"));
});
