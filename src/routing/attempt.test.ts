import { heapStats } from "bun:jsc";
import { describe, expect, spyOn, test } from "bun:test";
import { waitFor } from "../../test/e2e/harness/wait-for.ts";
import { deadlineListOf } from "../core/deadline-list.ts";
import { GatewayError } from "../core/gateway-error.ts";
import { Attempt } from "./attempt.ts";
import type { ReadOutcome, ReadStep } from "./stepped-reads.ts";

const TIMEOUTS = { connectMs: 10_000, firstByteMs: 120_000, idleMs: 60_000 };

/** The attempt's abort, once it comes: the 504's message and when it came. */
async function aborted(attempt: Attempt): Promise<{ message: string; at: number }> {
  await waitFor("the attempt to abort", () => attempt.signal.aborted, 10_000, 5);
  const reason: unknown = attempt.signal.reason;
  if (!(reason instanceof GatewayError)) throw new Error("the attempt aborted without a GatewayError");
  return { message: reason.message, at: performance.now() };
}

describe("an attempt's bounds through its phases", () => {
  test("a first-byte bound armed after a shorter connect bound expires at its own bound, not the connect's", async () => {
    const attempt = new Attempt(new AbortController().signal, TIMEOUTS, "a");
    attempt.arm("connect", 30);
    const armed = performance.now();
    attempt.arm("first byte", 250);
    const { message, at } = await aborted(attempt);
    expect(message).toBe("upstream a timed out waiting for the first byte (250 ms)");
    // The attempt left the connect bound's list (30 ms) for the first-byte bound's (250 ms).
    expect(at - armed).toBeGreaterThanOrEqual(249);
  });

  test("a bound shorter than the one already set replaces it", async () => {
    const attempt = new Attempt(new AbortController().signal, TIMEOUTS, "a");
    attempt.arm("first byte", 60_000);
    attempt.arm("connect", 20);
    const { message } = await aborted(attempt);
    expect(message).toBe("upstream a timed out waiting for response headers (20 ms)");
    attempt.disarm();
  });

  test("the idle bound after a longer first-byte bound is enforced at its own length", async () => {
    const attempt = new Attempt(new AbortController().signal, TIMEOUTS, "a");
    attempt.arm("first byte", 60_000);
    attempt.waiting(true);
    attempt.arm("idle", 20);
    const { message } = await aborted(attempt);
    expect(message).toBe("upstream a timed out waiting for the next chunk (20 ms)");
    attempt.disarm();
  });

  test("a disarmed attempt never expires, and one armed again is bound again", async () => {
    const attempt = new Attempt(new AbortController().signal, TIMEOUTS, "a");
    attempt.arm("connect", 20);
    attempt.disarm();
    attempt.arm("first byte", 30);
    const { message } = await aborted(attempt);
    expect(message).toBe("upstream a timed out waiting for the first byte (30 ms)");
  });
});

describe("connect and first-byte bounds on the deadline list of their delay (no timer per attempt)", () => {
  test("attempts under one bound share its list; each leaves it when disarmed or moved to another bound", () => {
    // Delays no other test uses, so these lists hold only this test's attempts.
    const connect = deadlineListOf(10_007);
    const firstByte = deadlineListOf(120_007);
    const attempts = [1, 2, 3].map(() => new Attempt(new AbortController().signal, TIMEOUTS, "a"));
    for (const attempt of attempts) attempt.arm("connect", 10_007);
    expect(connect.size).toBe(3);
    attempts[0]?.arm("first byte", 120_007);
    expect([connect.size, firstByte.size]).toEqual([2, 1]);
    attempts[1]?.disarm();
    attempts[0]?.disarm();
    expect([connect.size, firstByte.size]).toEqual([1, 0]);
    // An aborted attempt is disarmed by its owner, and then holds no place either.
    attempts[2]?.abort(new Error("client left"));
    expect(connect.size).toBe(0);
  });

  test("the idle bound takes the attempt out of its list", () => {
    const list = deadlineListOf(120_011);
    const attempt = new Attempt(new AbortController().signal, TIMEOUTS, "a");
    attempt.arm("first byte", 120_011);
    attempt.arm("idle", 60_000);
    expect(list.size).toBe(0);
    attempt.disarm();
  });
});

/** An attempt that keeps its stream's client alive every `everyMs` (a route attempt's `stream_keepalive`). */
class KeptAlive extends Attempt {
  constructor(private readonly everyMs: number) {
    super(new AbortController().signal, TIMEOUTS, "a");
  }
  protected override get keepAliveMs(): number {
    return this.everyMs;
  }
}

describe("a quiet stream's client kept alive by the idle timer (no timer of its own)", () => {
  test("told each interval the client has had nothing, upstream events that made no client bytes or not; the idle bound stands", async () => {
    const attempt = new KeptAlive(20);
    let told = 0;
    attempt.keepAlive({ quiet: () => told++ });
    // The client has its chunk and asks for the next: the relay waits on the upstream.
    attempt.waiting(false);
    attempt.arm("idle", 300);
    attempt.waitingOnUpstream();
    // The upstream pings (an Anthropic `ping`, translated to nothing): alive, but the client hears nothing.
    const pings = setInterval(() => attempt.rearm(), 5);
    try {
      await waitFor("two keep-alive comments", () => told >= 2, 10_000, 1);
      expect(attempt.signal.aborted).toBe(false);
    } finally {
      clearInterval(pings);
    }
    // The comments keep the client, not the upstream: silent past its bound, it still times out.
    const { message } = await aborted(attempt);
    expect(message).toBe("upstream a timed out waiting for the next chunk (300 ms)");
    const after = told;
    attempt.disarm();
    expect(told).toBe(after);
  });

  test("a client holding the stream is not told, however often the timer wakes", async () => {
    const attempt = new KeptAlive(20);
    let told = 0;
    attempt.keepAlive({ quiet: () => told++ });
    attempt.waiting(false);
    // The idle bound far off: the timer wakes at the keep-alive interval all the same.
    attempt.arm("idle", 60_000);
    attempt.waitingOnUpstream();
    await waitFor("a keep-alive comment", () => told === 1, 10_000, 1);
    // The client has a chunk and has not asked for the next one: nothing is due.
    const timers = spyOn(globalThis, "setTimeout");
    try {
      attempt.waiting(false);
      const wakes = () => timers.mock.calls.filter((call) => call[2] === attempt).length;
      await waitFor("the idle timer to wake three times", () => wakes() >= 3, 10_000, 1);
      expect(told).toBe(1);
      attempt.waitingOnUpstream();
      await waitFor("the next comment, once waiting again", () => told === 2, 10_000, 1);
    } finally {
      timers.mockRestore();
      attempt.disarm();
    }
  });

  test("a base attempt (no client to keep) wakes at its idle bound only, as before", async () => {
    const attempt = new Attempt(new AbortController().signal, TIMEOUTS, "a");
    let told = 0;
    attempt.keepAlive({ quiet: () => told++ });
    attempt.waiting(true);
    attempt.arm("idle", 40);
    await aborted(attempt);
    expect(told).toBe(0);
  });
});

/** A step that records what it saw and maps a failure to a message of its own. */
const step = (seen: string[]): ReadStep<string, string> => ({
  arrived(value) {
    seen.push(`arrived ${value}`);
    if (value === "bad") throw new Error("bad value");
    return value.toUpperCase();
  },
  failed(error) {
    seen.push("failed");
    return new Error(`mapped: ${error instanceof Error ? error.message : String(error)}`);
  },
});

/** A head's step that reads on to `next` (a body) with `step`. */
const readingOn = (attempt: Attempt, seen: string[], next: Promise<string>): ReadStep<string, string> => ({
  arrived(value) {
    seen.push(`head ${value}`);
    return attempt.readOn(next, step(seen));
  },
  failed: (error) => error,
});

describe("a read and its step as one promise (readThen)", () => {
  test("the step's result settles the read; its throw rejects it; a failed read is mapped", async () => {
    const attempt = new Attempt(new AbortController().signal, TIMEOUTS, "a");
    const seen: string[] = [];
    expect(await attempt.readThen(Promise.resolve("ok"), step(seen))).toBe("OK");
    await expect(attempt.readThen(Promise.resolve("bad"), step(seen))).rejects.toThrow("bad value");
    await expect(attempt.readThen(Promise.reject(new Error("reset")), step(seen))).rejects.toThrow(
      "mapped: reset",
    );
    expect(seen).toEqual(["arrived ok", "arrived bad", "failed"]);
    attempt.disarm();
  });

  test("an abort rejects the pending read at once, mapped by the step; the value that comes later runs no step", async () => {
    const client = new AbortController();
    const attempt = new Attempt(client.signal, TIMEOUTS, "a");
    const seen: string[] = [];
    const late = Promise.withResolvers<string>();
    const reading = attempt.readThen(late.promise, step(seen));
    client.abort(new Error("client left"));
    await expect(reading).rejects.toThrow("mapped: client left");
    late.resolve("late");
    await late.promise;
    await Promise.resolve();
    expect(seen).toEqual(["failed"]);
    // After the abort, a read is refused at once, mapped the same way.
    await expect(attempt.readThen(Promise.resolve("x"), step(seen))).rejects.toThrow("mapped: client left");
  });

  test("a step that reads on settles the same read with the next read's step; an abort meanwhile rejects it, mapped by that step", async () => {
    const client = new AbortController();
    const attempt = new Attempt(client.signal, TIMEOUTS, "a");
    const seen: string[] = [];
    const onward = (next: Promise<string>) => readingOn(attempt, seen, next);
    expect(await attempt.readThen(Promise.resolve("head"), onward(Promise.resolve("body")))).toBe("BODY");
    const body = Promise.withResolvers<string>();
    const reading = attempt.readThen(Promise.resolve("head"), onward(body.promise));
    await waitFor("the head to arrive", () => seen.length === 3, 10_000, 1);
    client.abort(new Error("client left"));
    await expect(reading).rejects.toThrow("mapped: client left");
    expect(seen).toEqual(["head head", "arrived body", "head head", "failed"]);
    // Outside a step's arrival there is no read to go on with.
    expect(() => attempt.readOn(Promise.resolve("x"), step(seen))).toThrow("readOn outside");
  });
});

describe("a read's outcome in the same promise (readInto)", () => {
  /** An outcome that wraps a value, and recovers from a failure with `recovery` (or rethrows without one). */
  const outcome = (seen: string[], recovery?: Promise<string>): ReadOutcome<string, string> => ({
    settled(value) {
      seen.push(`settled ${value}`);
      if (value === "SETTLE-THROWS") throw new Error("settled threw");
      return `<${value}>`;
    },
    recovered(error) {
      seen.push(`recovered ${error instanceof Error ? error.message : String(error)}`);
      if (recovery === undefined) throw error;
      return recovery;
    },
  });

  test("the steps' value settles through the outcome; a step's, the read's or settled's failure through its recovery", async () => {
    const attempt = new Attempt(new AbortController().signal, TIMEOUTS, "a");
    const seen: string[] = [];
    expect(await attempt.readInto(Promise.resolve("ok"), step(seen), outcome(seen))).toBe("<OK>");
    expect(
      await attempt.readInto(Promise.resolve("bad"), step(seen), outcome(seen, Promise.resolve("next"))),
    ).toBe("next");
    await expect(
      attempt.readInto(Promise.reject(new Error("reset")), step(seen), outcome(seen)),
    ).rejects.toThrow("mapped: reset");
    expect(
      await attempt.readInto(
        Promise.resolve("settle-throws"),
        step(seen),
        outcome(seen, Promise.resolve("again")),
      ),
    ).toBe("again");
    expect(seen).toEqual([
      "arrived ok",
      "settled OK",
      "arrived bad",
      "recovered bad value",
      "failed",
      "recovered mapped: reset",
      "arrived settle-throws",
      "settled SETTLE-THROWS",
      "recovered settled threw",
    ]);
    attempt.disarm();
  });

  test("an abort recovers at once, through the step's mapping; a read gone on carries the outcome along", async () => {
    const client = new AbortController();
    const attempt = new Attempt(client.signal, TIMEOUTS, "a");
    const seen: string[] = [];
    const onward = (next: Promise<string>) => readingOn(attempt, seen, next);
    expect(
      await attempt.readInto(Promise.resolve("head"), onward(Promise.resolve("body")), outcome(seen)),
    ).toBe("<BODY>");
    const body = Promise.withResolvers<string>();
    const reading = attempt.readInto(
      Promise.resolve("head"),
      onward(body.promise),
      outcome(seen, Promise.resolve("other route")),
    );
    await waitFor("the head to arrive", () => seen.length === 4, 10_000, 1);
    client.abort(new Error("client left"));
    expect(await reading).toBe("other route");
    expect(seen).toEqual([
      "head head",
      "arrived body",
      "settled BODY",
      "head head",
      "failed",
      "recovered mapped: client left",
    ]);
    // Aborted before it began: recovered at once, mapped by the step.
    expect(
      await attempt.readInto(Promise.resolve("x"), step(seen), outcome(seen, Promise.resolve("later"))),
    ).toBe("later");
    expect(seen.slice(-2)).toEqual(["failed", "recovered mapped: client left"]);
  });
});

describe("an attempt as its upstream call's cancel hook", () => {
  test("the stage hooked in is aborted with the attempt's reason, after its signal; then let go", () => {
    const client = new AbortController();
    const attempt = new Attempt(client.signal, TIMEOUTS, "a");
    const seen: string[] = [];
    attempt.signal.addEventListener("abort", () => seen.push("signal"));
    attempt.stage = { abort: (reason) => seen.push(`stage: ${(reason as Error).message}`) };
    expect(attempt.cancelled).toBe(false);
    client.abort(new Error("client left"));
    expect(seen).toEqual(["signal", "stage: client left"]);
    expect([attempt.cancelled, (attempt.reason as Error).message]).toEqual([true, "client left"]);
    expect(attempt.stage).toBeNull();
  });

  test("no AbortController until its signal is read: ended first, the signal then read is aborted with the reason", () => {
    const controllers = () => heapStats().objectTypeCounts.AbortController ?? 0;
    const before = controllers();
    const client = new AbortController();
    // Held, so that a collection cannot hide controllers the attempts made.
    const attempts = Array.from({ length: 200 }, () => new Attempt(client.signal, TIMEOUTS, "a"));
    expect(controllers() - before).toBeLessThan(10);
    client.abort(new Error("client left"));
    for (const attempt of attempts) expect(attempt.cancelled).toBe(true);
    const late = (attempts[0] as Attempt).signal;
    expect([late.aborted, (late.reason as Error).message]).toEqual([true, "client left"]);
    for (const attempt of attempts) attempt.disarm();
  });

  test("a read begun after the attempt ended rejects at once with its reason, no signal made", async () => {
    const attempt = new Attempt(new AbortController().signal, TIMEOUTS, "a");
    attempt.abort(new Error("abandoned"));
    const read = attempt.read(new Promise<never>(() => {}));
    expect(((await read.catch((error: unknown) => error)) as Error).message).toBe("abandoned");
  });
});
