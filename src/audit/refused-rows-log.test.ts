import { afterEach, expect, test } from "bun:test";
import { join } from "node:path";
import type { After } from "../core/after.ts";
import { closeDatabase, openDatabase } from "../storage/sqlite/open-database.ts";
import { createThreadedAuditStore } from "../storage/sqlite/threaded-audit-store.ts";
import { fakeClock } from "../testing/fake-clock.ts";
import { recordingLogger } from "../testing/recording-logger.ts";
import { steppedWallClock } from "../testing/stepped-clocks.ts";
import { makeRecord, tempDir } from "./audit-fixture.ts";
import { AuditWriter } from "./audit-writer.ts";
import { REFUSED_ROWS_NAMED, REFUSED_ROWS_WINDOW_MS, refusedRowsLog } from "./refused-rows-log.ts";

// The SPEC promises a row a request: one the database refuses (a NaN in a NOT NULL column) is lost,
// and its log line is how an operator traces it, named by request id and what the database named.

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

test("a row SQLite refuses is logged at error with its request id and the column SQLite named, never its bodies", async () => {
  const dir = tempDir();
  const path = join(dir.path, "audit.db");
  const reader = openDatabase(path);
  const store = createThreadedAuditStore({ path, reader });
  const { logger, lines } = recordingLogger();
  const refused = refusedRowsLog(logger);
  cleanups.push(async () => {
    refused.stop();
    await store.close();
    closeDatabase(reader);
    dir.cleanup();
  });
  const writer = new AuditWriter({ store, bodies: true, refusedRows: refused });
  writer.write(makeRecord({ requestId: "req_kept" }));
  writer.write(
    makeRecord({
      requestId: "req_refused",
      status: Number.NaN,
      requestBody: "secret-prompt",
      responseBody: "secret-answer",
    }),
  );
  await writer.flush();
  expect(writer.stats()).toMatchObject({ written: 1, rejected: 1 });
  const errors = lines.filter((line) => line.level === "error");
  expect(errors).toHaveLength(1);
  expect(errors[0]?.message).toContain("req_refused");
  expect(errors[0]?.message).toContain("audit_log.status");
  expect(errors[0]?.fields).toMatchObject({ requestId: "req_refused" });
  expect(JSON.stringify(lines)).not.toContain("secret");
});

test("a burst of refusals names the first rows of a window, then says how many more in one line", () => {
  const clock = fakeClock(1_000);
  const { logger, lines } = recordingLogger();
  const log = refusedRowsLog(logger, { now: clock.now, after: clock.after });
  const burst = Array.from({ length: REFUSED_ROWS_NAMED + 25 }, (_, i) => ({
    requestId: `r${i}`,
    reason: "x",
  }));
  log.refused(burst, burst.length);
  expect(lines).toHaveLength(REFUSED_ROWS_NAMED);
  expect(lines.every((line) => line.level === "error")).toBe(true);
  clock.advance(REFUSED_ROWS_WINDOW_MS);
  expect(lines).toHaveLength(REFUSED_ROWS_NAMED + 1);
  expect(lines.at(-1)?.message).toContain("25 more audit rows refused");
  // A new window names rows again; a store that names none (an embedder's) still gets its count said.
  log.refused([{ requestId: "later", reason: "y" }], 3);
  expect(lines.slice(REFUSED_ROWS_NAMED + 1).map((line) => line.message)).toEqual([
    expect.stringContaining("later"),
    expect.stringContaining("2 audit rows refused by the store"),
  ]);
  expect(clock.pending()).toBe(0);
  log.refused(burst, burst.length);
  log.stop();
  expect(lines.at(-1)?.message).toContain("more audit rows refused");
  expect(clock.pending()).toBe(0);
});

test("a step back of the wall clock (NTP, a VM resumed) stretches no window: the rows past the named ones are said within its minute", () => {
  const wall = steppedWallClock();
  try {
    const { logger, lines } = recordingLogger();
    const waits: number[] = [];
    const after: After = (ms) => {
      waits.push(ms);
      return () => {};
    };
    const log = refusedRowsLog(logger, { after });
    const named = Array.from({ length: REFUSED_ROWS_NAMED }, (_, i) => ({ requestId: `r${i}`, reason: "x" }));
    log.refused(named, named.length);
    wall.step(-600_000);
    log.refused([{ requestId: "past", reason: "x" }], 1);
    expect(lines).toHaveLength(REFUSED_ROWS_NAMED);
    expect(waits).toHaveLength(1);
    expect(waits[0]).toBeLessThanOrEqual(REFUSED_ROWS_WINDOW_MS);
  } finally {
    wall.restore();
  }
});
