import { expect, spyOn, test } from "bun:test";
import { AttemptLog } from "../audit/attempt-log.ts";
import { upstreamError } from "../core/gateway-error.ts";
import type { DispatchTelemetry } from "../telemetry/dispatch-telemetry.ts";
import { Attempt } from "./attempt.ts";
import { chatRequest, fakeProvider, routerFor, twoRoutes } from "./router-test-kit.ts";

// An attempt's start and its verdict are each one clock reading, handed to everything that times
// the attempt: its bound, its route's latency, the audit entry, metrics; an attempt whose close
// comes with its verdict is closed at the verdict's reading. Under a clock that moves on every
// read, they agree only if one read serves them all.

/** Runs `body` while `performance.now` moves on by 1 ms on every read. */
async function underMovingClock<T>(body: () => Promise<T>): Promise<T> {
  let now = 1_000;
  const moving = spyOn(performance, "now").mockImplementation(() => now++);
  try {
    return await body();
  } finally {
    moving.mockRestore();
  }
}

/** The audit's attempt log over a telemetry that keeps the readings it was told of each attempt. */
function timedLog() {
  const told: { startedMs: number; settledMs: number; closedMs: number | undefined }[] = [];
  const inner: DispatchTelemetry = {
    attempt: (_info, startedMs) => {
      const timed = { startedMs, settledMs: Number.NaN, closedMs: undefined as number | undefined };
      told.push(timed);
      return {
        traceparent: undefined,
        settled: (_error, _servedBy, settledMs) => {
          timed.settledMs = settledMs;
        },
        closed: (_error, closedMs) => {
          timed.closedMs = closedMs;
        },
      };
    },
  };
  return { log: new AttemptLog(inner), told };
}

test("an answered attempt: its bound counts from its start, and its route's latency, audit entry and metrics are one duration", async () => {
  const { log, told } = timedLog();
  const a = fakeProvider("a");
  const { router, health } = routerFor(twoRoutes({}, { timeouts: { first_byte: "5s" } }), [a]);
  await underMovingClock(() => router(chatRequest("m", { telemetry: log })));
  const [timed] = told;
  const [entry] = log.list();
  if (timed === undefined || entry === undefined) throw new Error("no attempt was told");
  const duration = timed.settledMs - timed.startedMs;
  expect(duration).toBeGreaterThan(0);
  expect(entry.durationMs).toBe(duration);
  expect(health.latency("a/ma")).toBe(duration);
  // A whole answer: its exchange is over at the verdict, which closes it with the same reading.
  expect(timed.closedMs).toBe(timed.settledMs);
  // The first-byte bound was armed from the same reading the attempt started at.
  const hook = a.calls[0]?.cancel;
  if (!(hook instanceof Attempt)) throw new Error("the call carries no attempt");
  expect(hook.startedMs).toBe(timed.startedMs);
  expect(hook.dueAt).toBe(timed.startedMs + 5_000);
});

test("a failed attempt and the failover after it: each verdict is one reading, the audit's and metrics' alike", async () => {
  const { log, told } = timedLog();
  const a = fakeProvider("a", () => Promise.reject(upstreamError("answered 503")));
  const { router } = routerFor(twoRoutes({ retries: 0 }), [a, fakeProvider("b")]);
  const answered = await underMovingClock(() => router(chatRequest("m", { telemetry: log })));
  expect(answered.route).toBe("provider:b");
  const entries = log.list();
  expect(entries.map((entry) => entry.outcome)).toEqual(["failed", "ok"]);
  expect(entries.map((entry) => entry.durationMs)).toEqual(told.map((t) => t.settledMs - t.startedMs));
  for (const timed of told) expect(timed.settledMs).toBeGreaterThan(timed.startedMs);
  // Each is closed at its verdict's reading: the failed one as it is judged, the answered one as
  // its whole answer is committed.
  for (const timed of told) expect(timed.closedMs).toBe(timed.settledMs);
});
