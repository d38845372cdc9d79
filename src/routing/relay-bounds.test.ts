import { afterEach, describe, expect, test } from "bun:test";
import { deadlineListOf } from "../core/deadline-list.ts";
import type { BodyRead, ByteFeed } from "../providers/http/streamed-answer.ts";
import { Attempt } from "./attempt.ts";
import { ByteRelay } from "./byte-relay.ts";
import { encoder, OPENAI_STREAM } from "./byte-relay-fixture.ts";

// The bounds a byte relay runs under before its first bytes are in: the first-byte bound only
// when its first read must wait; a stream whose first bytes came with its head (a burst, a
// stream answered whole) reads no clock for a bound it would take out again at once.

/** A body whose reads answer at once from `parts`, then wait forever (`pending`) or end. */
function feedOf(parts: Uint8Array[], then: "end" | "pending"): ByteFeed {
  let at = 0;
  return {
    readMany(): BodyRead | Promise<BodyRead> {
      const part = parts[at++];
      if (part) return { done: false, value: [part], size: part.length };
      if (then === "pending") return new Promise<BodyRead>(() => {});
      return { done: true, value: [], size: 0 } as unknown as BodyRead;
    },
    cancel: () => Promise.resolve(),
  };
}

const options = { provider: "a", maxLine: 4096, onUsage: () => true, done: () => {} };
const realNow = performance.now;

afterEach(() => {
  performance.now = realNow;
});

/** Counts `performance.now` reads from here on. */
function countClockReads(): () => number {
  let reads = 0;
  performance.now = () => {
    reads++;
    return realNow.call(performance);
  };
  return () => reads;
}

describe("ByteRelay: the first-byte bound", () => {
  test("a stream whose first bytes are in hand reads no clock and enters no deadline list", () => {
    const firstByteMs = 120_013;
    const attempt = new Attempt(
      new AbortController().signal,
      { connectMs: 5_000, firstByteMs, idleMs: 5_000 },
      "a",
      0,
    );
    const body = encoder.encode(OPENAI_STREAM);
    const reads = countClockReads();
    const relay = new ByteRelay(feedOf([body], "end"), attempt, options, body.length).start();
    expect(relay).toBeInstanceOf(ByteRelay);
    expect((relay as ByteRelay).drained).toBe(true);
    expect(reads()).toBe(0);
    expect(deadlineListOf(firstByteMs).size).toBe(0);
  });

  test("a stream whose first bytes are in hand but not its end: from the connect bound to the idle bound", () => {
    const attempt = new Attempt(
      new AbortController().signal,
      { connectMs: 120_017, firstByteMs: 120_019, idleMs: 5_000 },
      "a",
      0,
    );
    attempt.arm("connect", 120_017, 0);
    expect(deadlineListOf(120_017).size).toBe(1);
    const reads = countClockReads();
    const relay = new ByteRelay(
      feedOf([encoder.encode('data: {"a":1}\n\n')], "pending"),
      attempt,
      options,
    ).start();
    expect(relay).toBeInstanceOf(ByteRelay);
    expect(reads()).toBe(0);
    expect(deadlineListOf(120_017).size).toBe(0);
    expect(deadlineListOf(120_019).size).toBe(0);
    (relay as ByteRelay).cancel();
  });

  test("a stream whose first read waits is under the first-byte bound", async () => {
    const attempt = new Attempt(
      new AbortController().signal,
      { connectMs: 5_000, firstByteMs: 30, idleMs: 5_000 },
      "a",
    );
    // A comment only: bytes, but no event yet; then the upstream goes quiet.
    const started = new ByteRelay(feedOf([encoder.encode(": hi\n\n")], "pending"), attempt, options).start();
    expect(started).toBeInstanceOf(Promise);
    const error = await (started as Promise<ByteRelay>).then(
      () => undefined,
      (failure: Error) => failure,
    );
    expect(error?.message).toBe("upstream a timed out waiting for the first byte (30 ms)");
  });
});
