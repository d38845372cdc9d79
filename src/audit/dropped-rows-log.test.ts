import { expect, test } from "bun:test";
import { silentLogger } from "../log/logger.ts";
import { fakeClock } from "../testing/fake-clock.ts";
import { steppedWallClock } from "../testing/stepped-clocks.ts";
import { droppedRowsLog, type QueueFill } from "./dropped-rows-log.ts";

const FULL: QueueFill = {
  queued: 100_000,
  queuedBytes: 22_000_000,
  maxQueue: 100_000,
  maxQueueBytes: 256 * 1024 * 1024,
  full: true,
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

const said = (lines: [string, string, unknown][]) =>
  lines.map(([level, message, fields]) => [level, message, (fields as { dropped?: number }).dropped]);

/** The rows the lines say were refused, in all. */
const told = (lines: [string, string, unknown][]) =>
  lines.reduce((sum, [, , fields]) => sum + ((fields as { dropped?: number }).dropped ?? 0), 0);

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
  clock.advance(60_000);
  expect(said(lines)).toEqual([
    ["warn", "audit rows dropped: the audit queue is full", 1],
    ["warn", "audit rows dropped", 2_999],
    ["warn", "audit rows dropped", 3_000],
    ["info", "audit rows queued again", 500],
  ]);
  expect(lines[1]?.[2]).toEqual({ dropped: 2_999, since_ms: 30_000, queued: 100_000 });
  expect(told(lines)).toBe(6_500);
});

test("a queue hovering at its bound (rows taken, then refused, every 100 ms for a minute) is a warning every 30 s with the rows refused since the line before, each followed by a line that it has room", () => {
  const { logger, lines } = recording();
  const clock = fakeClock(0);
  const drops = droppedRowsLog(logger, clock);
  for (let t = 0; t < 60_000; t += 100) {
    drops.queued();
    for (let i = 0; i < 50; i++) drops.refused(() => FULL);
    clock.advance(100);
  }
  drops.queued();
  // Each burst after the first within 30 s of the last warning is counted into the next, said when
  // the 30 s are up.
  expect(said(lines)).toEqual([
    ["warn", "audit rows dropped: the audit queue is full", 1],
    ["info", "audit rows queued again", 49],
    ["warn", "audit rows dropped: the audit queue is full", 299 * 50],
    ["info", "audit rows queued again", 0],
    ["warn", "audit rows dropped: the audit queue is full", 300 * 50],
    ["info", "audit rows queued again", 0],
  ]);
  expect(lines[1]?.[2]).toEqual({ dropped: 49, since_ms: 100 });
  expect(lines[2]?.[2]).toMatchObject({ dropped: 299 * 50, since_ms: 29_900, queued: 100_000 });
  expect(told(lines)).toBe(600 * 50);
});

test("every refused row is told within 30 s of its refusal: a burst that ended is said when the 30 s are up, not hours later in the next incident's first warning", () => {
  const { logger, lines } = recording();
  const clock = fakeClock(0);
  const drops = droppedRowsLog(logger, clock);
  let refused = 0;
  // The queue hovers at its bound for 45 s, then the store catches up.
  for (let t = 0; t < 45_000; t += 100) {
    drops.queued();
    for (let i = 0; i < 50; i++, refused++) drops.refused(() => FULL);
    clock.advance(100);
  }
  drops.queued();
  const beforeTheLast = told(lines);
  clock.advance(15_000);
  // The 30 s since the last line are up: the rest of the incident is said.
  expect(told(lines)).toBe(refused);
  expect(told(lines)).toBeGreaterThan(beforeTheLast);
  expect(lines.at(-1)).toEqual(["warn", "audit rows dropped", { dropped: 150 * 50, since_ms: 30_000 }]);
  // Six hours later one row is refused: its own first warning, said at once, counting it alone.
  clock.advance(6 * 3_600_000);
  drops.refused(() => FULL);
  refused++;
  expect(lines.at(-1)).toEqual([
    "warn",
    "audit rows dropped: the audit queue is full",
    expect.objectContaining({ dropped: 1, since_ms: 6 * 3_600_000 }),
  ]);
  expect(told(lines)).toBe(refused);
  // Nothing left to say: no line when the timer runs out, and none is armed after it.
  const count = lines.length;
  clock.advance(60_000);
  expect(lines.length).toBe(count);
  expect(clock.pending()).toBe(0);
});

test("stopped, the log says the rows refused since its last line and leaves no timer", () => {
  const { logger, lines } = recording();
  const clock = fakeClock(0);
  const drops = droppedRowsLog(logger, clock);
  for (let i = 0; i < 10; i++) drops.refused(() => FULL);
  clock.advance(1_000);
  drops.stop();
  expect(said(lines)).toEqual([
    ["warn", "audit rows dropped: the audit queue is full", 1],
    ["warn", "audit rows dropped", 9],
  ]);
  expect(lines[1]?.[2]).toEqual({ dropped: 9, since_ms: 1_000, queued: 100_000 });
  expect(clock.pending()).toBe(0);
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
  // The 30 s are up with rows refused since: the line says the queue as it is then.
  clock.advance(30_000);
  expect(reads).toBe(2);
  for (let i = 0; i < 1_000; i++) drops.refused(fill);
  expect(reads).toBe(2);
});

test("rows refused before the store recovered are a count alone when the 30 s are up with the queue drained, no row offered since: never a warning that the queue is full with nothing in it", () => {
  const { logger, lines } = recording();
  const clock = fakeClock(0);
  const drops = droppedRowsLog(logger, clock);
  let fill: QueueFill = FULL;
  drops.refused(() => fill);
  drops.queued();
  for (let i = 0; i < 5; i++) drops.refused(() => fill);
  // The store is back and the queue drains; no row comes before the timer runs out.
  fill = { ...FULL, queued: 0, queuedBytes: 0, full: false };
  clock.advance(30_000);
  expect(said(lines)).toEqual([
    ["warn", "audit rows dropped: the audit queue is full", 1],
    ["info", "audit rows queued again", 0],
    ["warn", "audit rows dropped", 5],
  ]);
  expect(lines[2]?.[2]).toEqual({ dropped: 5, since_ms: 30_000 });
});

test("a queue still at its bound in bytes alone when the 30 s are up is still said to be full", () => {
  const { logger, lines } = recording();
  const clock = fakeClock(0);
  const drops = droppedRowsLog(logger, clock);
  const fill: QueueFill = {
    queued: 14,
    queuedBytes: 65_672,
    maxQueue: 100_000,
    maxQueueBytes: 65_536,
    full: true,
  };
  drops.refused(() => fill);
  drops.queued();
  drops.refused(() => fill);
  clock.advance(30_000);
  expect(said(lines).at(-1)).toEqual(["warn", "audit rows dropped: the audit queue is full", 1]);
});

test("a step back of the wall clock (NTP, a VM resumed) between two lines makes no since_ms negative: it is the node's own time between them", () => {
  const wall = steppedWallClock();
  try {
    const { logger, lines } = recording();
    const timers = fakeClock();
    const drops = droppedRowsLog(logger, { after: timers.after });
    drops.refused(() => FULL);
    wall.step(-600_000);
    drops.queued();
    const since = lines.map(([, , fields]) => (fields as { since_ms?: number }).since_ms);
    expect(since).toHaveLength(2);
    expect(since[1]).toBeGreaterThanOrEqual(0);
    expect(since[1]).toBeLessThan(60_000);
  } finally {
    wall.restore();
  }
});
