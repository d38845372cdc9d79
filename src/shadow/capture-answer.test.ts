import { expect, test } from "bun:test";
import type { ChunkSource } from "../core/chunk-source.ts";
import { DEFAULT_MAX_UPSTREAM_BODY } from "../providers/http/read-bounded.ts";
import { type CapturedStream, captureAnswer } from "./capture-answer.ts";
import { answerOf } from "./shadow-record.ts";
import { answerFromSseText } from "./sse-answer-reader.ts";

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

const delta = (content: string) => `data: {"choices":[{"index":0,"delta":{"content":"${content}"}}]}\n\n`;
const words = Array.from({ length: 400 }, (_, i) => `héllo wörld ✓ 𝄞 ${i} `);
const text = `${words.map(delta).join("")}data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n`;
const bytes = new TextEncoder().encode(text);
const whole = answerFromSseText("chat", text);

/** The stream in pieces split at `at` bytes (a character or an event cut in two), then `size` each. */
function pieces(at: number, size: number): Uint8Array[] {
  const out = [bytes.subarray(0, at)];
  for (let from = at; from < bytes.byteLength; from += size) out.push(bytes.subarray(from, from + size));
  return out;
}

test("within the window the bytes are kept whole; past it the answer is read as it passes: the same answer at every split", async () => {
  expect(whole.text).toBe(words.join(""));
  expect(whole.finish).toBe("stop");
  for (const window of [bytes.byteLength, 10_000, 300, 17]) {
    for (const at of [1, 7, 45, 46, 47, 1000]) {
      for (const size of [3, 1024]) {
        let kept: CapturedStream | undefined;
        const passed = await drain(
          captureAnswer(source(pieces(at, size)), "chat", (c) => (kept = c), window),
        );
        expect(passed).toBe(bytes.byteLength);
        expect(kept?.kind).toBe(window === bytes.byteLength ? "sse" : "answer");
        expect(kept && answerOf("chat", kept)).toEqual(whole);
      }
    }
  }
});

test("a whole answer in one read: drained passes through, and what it holds is kept without asking for the end", async () => {
  let kept: CapturedStream | undefined;
  const chunks = captureAnswer(source([bytes], true), "chat", (c) => (kept = c), bytes.byteLength);
  expect(chunks.drained).toBe(false);
  expect(chunks.ready?.()).toBe(bytes);
  expect(chunks.drained).toBe(true);
  expect(kept?.kind === "sse" && new TextDecoder().decode(kept.body)).toBe(text);
});

test("a cancelled stream keeps what passed and cancels its source", async () => {
  for (const window of [1000, 5]) {
    let kept: CapturedStream | undefined;
    const inner = source([bytes.subarray(0, 200), bytes.subarray(200)]);
    const chunks = captureAnswer(inner, "chat", (c) => (kept = c), window);
    await chunks.next();
    chunks.cancel();
    expect(inner.cancelled).toBe(true);
    const passed = new TextDecoder().decode(bytes.subarray(0, 200));
    expect(kept && answerOf("chat", kept)).toEqual(answerFromSseText("chat", passed));
  }
});

test("a primary stream longer than a copy may hold is passed whole, its answer held no further than a copy's (32 MB of characters)", async () => {
  // 4,096 characters an event, 64 events a read, reused: 130 reads pass 34 M characters.
  const event = delta("x".repeat(4096));
  const read = new TextEncoder().encode(event.repeat(64));
  const reads = Array.from({ length: 130 }, () => read);
  let kept: CapturedStream | undefined;
  const passed = await drain(captureAnswer(source(reads), "chat", (c) => (kept = c), 1024 * 1024));
  expect(passed).toBe(read.byteLength * 130);
  expect(kept?.kind).toBe("answer");
  const held = kept && answerOf("chat", kept).text.length;
  expect(held).toBeGreaterThan(DEFAULT_MAX_UPSTREAM_BODY - 1024 * 1024);
  expect(held).toBeLessThanOrEqual(DEFAULT_MAX_UPSTREAM_BODY);
  expect(kept?.kind === "answer" && kept.answer.cut).toBe(true);
});

test("an answer read past the window is marked cut only when the bound left some of it unread", async () => {
  const cutAt = (most: number) => {
    let kept: CapturedStream | undefined;
    return drain(captureAnswer(source(pieces(1000, 1024)), "chat", (c) => (kept = c), 300, most)).then(() =>
      kept?.kind === "answer" ? kept.answer : undefined,
    );
  };
  const whole = await cutAt(bytes.byteLength);
  expect(whole?.cut).toBeUndefined();
  expect(whole?.text).toBe(words.join(""));
  const cut = await cutAt(5_000);
  expect(cut?.cut).toBe(true);
  expect(words.join("").startsWith(cut?.text ?? "-")).toBe(true);
  expect(cut?.text.length).toBeLessThan(words.join("").length);
});
