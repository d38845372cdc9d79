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

test("a row refused every 10 ms is one warning at once, then one every 30 s with the rows refused since, and a line when rows are queued again", () => {
  const { logger, lines } = recording();
  let now = 1_000_000;
  const drops = droppedRowsLog(logger, { now: () => now });
  for (let i = 0; i < 6_500; i++) {
    drops.refused(FULL);
    now += 10;
  }
  drops.queued();
  drops.queued();
  expect(
    lines.map(([level, message, fields]) => [level, message, (fields as { dropped?: number }).dropped]),
  ).toEqual([
    ["warn", "audit rows dropped: the audit queue is full", undefined],
    ["warn", "audit rows dropped", 3_000],
    ["warn", "audit rows dropped", 3_000],
    ["info", "audit rows queued again", 499],
  ]);
  expect(lines[1]?.[2]).toEqual({ dropped: 3_000, since_ms: 30_000, queued: 100_000 });
});

test("a burst after the queue had room again starts with its own first line at once", () => {
  const { logger, lines } = recording();
  let now = 0;
  const drops = droppedRowsLog(logger, { now: () => now });
  drops.refused(FULL);
  drops.queued();
  now += 5;
  drops.refused(FULL);
  drops.refused(FULL);
  expect(lines.map(([level, message]) => `${level} ${message}`)).toEqual([
    "warn audit rows dropped: the audit queue is full",
    "info audit rows queued again",
    "warn audit rows dropped: the audit queue is full",
  ]);
});
