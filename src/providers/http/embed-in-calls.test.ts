import { expect, test } from "bun:test";
import { embedInCalls } from "./embed-in-calls.ts";

test("calls of at most perCall texts, at most eight at once, joined in the texts' order", async () => {
  const texts = Array.from({ length: 25 }, (_, i) => `t${i}`);
  let inFlight = 0;
  let most = 0;
  const calls: string[][] = [];
  const gates: (() => void)[] = [];
  const embedded = embedInCalls(texts, 2, new AbortController().signal, async (batch) => {
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
  const { inputTokens } = await embedInCalls(["a", "b"], 1, new AbortController().signal, async () => ({
    vectors: [[1]],
    inputTokens: call++ === 0 ? 3 : undefined,
  }));
  expect(inputTokens).toBeUndefined();
});

test("a failed call fails the whole: the calls still running are cut off, and no more are sent", async () => {
  const texts = Array.from({ length: 20 }, (_, i) => `t${i}`);
  const signals: AbortSignal[] = [];
  const sent: string[] = [];
  const error = await embedInCalls(texts, 1, new AbortController().signal, async ([text], signal) => {
    sent.push(text ?? "");
    signals.push(signal);
    if (text === "t3") throw new Error("refused");
    // The others wait until they are cut off.
    await new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason)));
    return { vectors: [[1]], inputTokens: 1 };
  }).catch((e: unknown) => e);
  expect(error).toEqual(new Error("refused"));
  expect(sent).toEqual(["t0", "t1", "t2", "t3", "t4", "t5", "t6", "t7"]);
  expect(signals.every((signal) => signal.aborted)).toBe(true);
});

test("the request's abort cuts every call off and is the answer", async () => {
  const request = new AbortController();
  const started: AbortSignal[] = [];
  const embedded = embedInCalls(["a", "b", "c"], 1, request.signal, async (_, signal) => {
    started.push(signal);
    await new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason)));
    return { vectors: [[1]], inputTokens: 1 };
  }).catch((e: unknown) => e);
  request.abort(new Error("client gone"));
  expect(await embedded).toEqual(new Error("client gone"));
  expect(started.every((signal) => signal.aborted)).toBe(true);
});

test("a vendor that caps a call's tokens too: each call under them, a text over them alone", async () => {
  const calls: string[][] = [];
  const cap = { texts: 3, tokens: { most: 10, count: (text: string) => text.length } };
  const { vectors } = await embedInCalls(
    ["aaaa", "bbbb", "cc", "dddddddddddd", "e", "f", "g", "h"],
    cap,
    new AbortController().signal,
    async (batch) => {
      calls.push([...batch]);
      return { vectors: batch.map((text) => [text.length]), inputTokens: 1 };
    },
  );
  expect(calls).toEqual([["aaaa", "bbbb", "cc"], ["dddddddddddd"], ["e", "f", "g"], ["h"]]);
  expect(vectors).toEqual([[4], [4], [2], [12], [1], [1], [1], [1]]);
});

/** The calls `embedInCalls` makes of `texts` under `cap`. */
async function callsOf(texts: readonly string[], cap: Parameters<typeof embedInCalls>[1]) {
  const calls: string[][] = [];
  await embedInCalls(texts, cap, new AbortController().signal, async (batch) => {
    calls.push([...batch]);
    return { vectors: batch.map(() => [1]), inputTokens: 1 };
  });
  return calls;
}

// A counter that says a quarter of a text's bytes, and counts how often it was asked: the bound
// (`atMost`, the bytes) is never under it, as o200k's count is never over a text's UTF-8 bytes.
const counting = () => {
  const asked: string[] = [];
  const count = (text: string) => {
    asked.push(text);
    return Math.ceil(Buffer.byteLength(text) / 4);
  };
  return { asked, count, atMost: (text: string) => Buffer.byteLength(text) };
};

test("a batch whose bytes are within the token cap is never counted: one call", async () => {
  const { asked, count, atMost } = counting();
  const texts = Array.from({ length: 250 }, (_, i) => `${"é".repeat(10)} text ${i}`.padEnd(50, "."));
  expect(texts.reduce((sum, text) => sum + Buffer.byteLength(text), 0)).toBeLessThanOrEqual(15_000);
  const calls = await callsOf(texts, { texts: 250, tokens: { most: 15_000, count, atMost } });
  expect(calls).toEqual([texts]);
  expect(asked).toEqual([]);
});

test("past the cap by bytes, the calls are those a count of every text makes, fewer texts counted", async () => {
  const texts = Array.from(
    { length: 60 },
    (_, i) => `${i}:${i % 4 === 0 ? "日本語".repeat((i * 37) % 23) : "x".repeat((i * 53) % 11)}`,
  );
  const exact = counting();
  const bounded = counting();
  const most = 40;
  const everyText = await callsOf(texts, { texts: 7, tokens: { most, count: exact.count } });
  const asNeeded = await callsOf(texts, {
    texts: 7,
    tokens: { most, count: bounded.count, atMost: bounded.atMost },
  });
  expect(asNeeded).toEqual(everyText);
  expect(everyText.length).toBeGreaterThan(Math.ceil(texts.length / 7));
  expect(new Set(bounded.asked).size).toBeLessThan(texts.length);
  // No text is counted twice.
  expect(bounded.asked.length).toBe(new Set(bounded.asked).size);
});
