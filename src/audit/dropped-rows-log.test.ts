import { expect, test } from "bun:test";
import { silentLogger } from "../log/logger.ts";
import { droppedRowsLog, type QueueFill } from "./dropped-rows-log.ts";

const FULL: QueueFill = {
  queued: 100_000,
  queuedBytes: 22_000_000,
  maxQueue: 100_000,
  maxQueueBytes: 256 * 1024 * 1024,
};

function recording() {
  const lines: [string, string, unknown][] = [];
  const logger = {
    ...silentLogger,
    warn: (message: string, fields?: unknown) => void lines.push(["warn", message, fields]),
    info: (message: string, fields?: unknown) => void lines.push(["info", message, fields]),
  };
  return { logger, lines };
}

/** A clock the test moves, whose timers run as it passes them. */
function fakeClock(start: number) {
  let now = start;
  const timers: { at: number; then: () => void }[] = [];
  return {
    now: () => now,
    after: (ms: number, then: () => void) => void timers.push({ at: now + ms, then }),
    advance(ms: number) {
      now += ms;
      for (const timer of timers.filter((t) => t.at <= now)) {
        timers.splice(timers.indexOf(timer), 1);
        timer.then();
      }
    },
  };
}

const said = (lines: [string, string, unknown][]) =>
  lines.map(([level, message, fields]) => [level, message, (fields as { dropped?: number }).dropped]);

test("a row refused every 10 ms is one warning at once, then one every 30 s with the rows refused since, and a line when rows are queued again", () => {
  const { logger, lines } = recording();
  const clock = fakeClock(1_000_000);
  const drops = droppedRowsLog(logger, clock);
  for (let i = 0; i < 6_500; i++) {
    drops.refused(() => FULL);
    clock.advance(10);
  }
  drops.queued();
  drops.queued();
  expect(said(lines)).toEqual([
    ["warn", "audit rows dropped: the audit queue is full", 1],
    ["warn", "audit rows dropped", 3_000],
    ["warn", "audit rows dropped", 3_000],
    ["info", "audit rows queued again", 499],
  ]);
  expect(lines[1]?.[2]).toEqual({ dropped: 3_000, since_ms: 30_000, queued: 100_000 });
});

test("a queue hovering at its bound (rows taken, then refused, every 100 ms for a minute) is a warning and a line that it has room every 30 s, each with the rows refused since the line before", () => {
  const { logger, lines } = recording();
  const clock = fakeClock(0);
  const drops = droppedRowsLog(logger, clock);
  for (let t = 0; t < 60_000; t += 100) {
    drops.queued();
    for (let i = 0; i < 50; i++) drops.refused(() => FULL);
    clock.advance(100);
  }
  // Each burst after the first within 30 s of the last warning is counted into the next.
  expect(said(lines)).toEqual([
    ["warn", "audit rows dropped: the audit queue is full", 1],
    ["info", "audit rows queued again", 49],
    ["warn", "audit rows dropped: the audit queue is full", 299 * 50 + 1],
    ["info", "audit rows queued again", 49],
  ]);
  expect(lines[3]?.[2]).toEqual({ dropped: 49, since_ms: 100 });
});

test("the queue's fill is read only for a line that says it", () => {
  const { logger } = recording();
  const clock = fakeClock(0);
  const drops = droppedRowsLog(logger, clock);
  let reads = 0;
  const fill = () => {
    reads++;
    return FULL;
  };
  for (let i = 0; i < 1_000; i++) drops.refused(fill);
  expect(reads).toBe(1);
  clock.advance(30_000);
  drops.refused(fill);
  expect(reads).toBe(2);
});
