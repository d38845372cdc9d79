import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { closeDatabase, openDatabase } from "../storage/sqlite/open-database.ts";
import { createThreadedAuditStore } from "../storage/sqlite/threaded-audit-store.ts";
import type { AuditStore } from "../storage/storage.ts";
import { makeRecord, tempDir } from "./audit-fixture.ts";
import type { AuditRecord } from "./audit-record.ts";
import { decodeAuditRows } from "./audit-row-reader.ts";
import { AuditWriter } from "./audit-writer.ts";
import { RECORD_BYTES } from "./pending-rows.ts";
import { BODY_NOT_KEPT } from "./queued-bodies.ts";

// audit.max_queue_bytes: while the store writes bodies slower than they come, what the queue holds
// is bounded in bytes as well as in rows. The row is the promise; past the bound its bodies are not
// kept (a marker in their place, counted and told a burst at a time), and a row that finds the
// queue full in bytes is refused as one past `maxQueue` is.

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

const KB = 1024;

/** A store that keeps what it is written, taking rows as records or (`encoded`) as a thread's bytes. */
function capturingStore(encoded: boolean) {
  const rows: AuditRecord[] = [];
  const insert = async (records: readonly AuditRecord[]) => {
    rows.push(...records);
    return { written: records.length, rejected: 0 };
  };
  const store: AuditStore = {
    insert,
    ...(encoded ? { insertEncoded: (batch: Uint8Array<ArrayBuffer>) => insert(decodeAuditRows(batch)) } : {}),
    select: async () => [],
    prune: async () => 0,
    probe: async () => {},
  };
  return { store, rows };
}

/** A request's row with a request body of `kb` KB and a short answer. */
const withBodies = (id: string, kb: number) =>
  makeRecord({ requestId: id, requestBody: "x".repeat(kb * KB), responseBody: '{"ok":true}' });

for (const encoded of [false, true]) {
  const queued = encoded ? " (queued as bytes)" : "";

  describe(`the audit queue's byte bound${queued}`, () => {
    test("a row whose bodies would take the queue past it is written with a marker in their place, counted", async () => {
      const { store, rows } = capturingStore(encoded);
      const told: string[] = [];
      const writer = new AuditWriter({
        store,
        bodies: true,
        // Nothing is written until the flush below: the rows wait as behind a slow store.
        flushMs: 60_000,
        batchSize: 1_000,
        maxQueueBytes: 1_000 * KB,
        bodyDrops: {
          // What the three rows take: their bodies, and the rest of each row (less than a KB).
          started: (bytes) => told.push(`started at ${Math.floor(bytes / (3 * KB))} KB a row`),
          ended: (dropped) => told.push(`ended after ${dropped}`),
        },
      });
      for (let i = 0; i < 5; i++) writer.write(withBodies(`r${i}`, 300));
      // Three bodies of 300 KB fit in 1,000 KB; the fourth and fifth would not.
      const held = writer.stats();
      expect(held).toMatchObject({ queued: 5, dropped: 0, bodiesDropped: 2 });
      expect(held.queuedBytes).toBeGreaterThan(900 * KB);
      expect(held.queuedBytes).toBeLessThan(1_000 * KB);
      expect(told).toEqual(["started at 300 KB a row"]);
      await writer.flush();
      expect(rows.map((row) => row.requestId)).toEqual(["r0", "r1", "r2", "r3", "r4"]);
      expect(rows.map((row) => row.requestBody?.length)).toEqual([
        300 * KB,
        300 * KB,
        300 * KB,
        BODY_NOT_KEPT.length,
        BODY_NOT_KEPT.length,
      ]);
      expect(rows[3]).toMatchObject({ requestBody: BODY_NOT_KEPT, responseBody: BODY_NOT_KEPT });
      // Written, the rows leave the count; the next row's bodies fit again, which ends the burst.
      expect(writer.stats()).toMatchObject({ queued: 0, queuedBytes: 0, written: 5 });
      writer.write(withBodies("r5", 300));
      expect(told).toEqual(["started at 300 KB a row", "ended after 2"]);
      await writer.flush();
      expect(rows[5]?.requestBody?.length).toBe(300 * KB);
      expect(writer.stats().bodiesDropped).toBe(2);
      await writer.close();
    });

    test("bodies count in UTF-8 bytes: CJK text takes three a character, and rows after it are kept", async () => {
      const { store, rows } = capturingStore(encoded);
      const writer = new AuditWriter({ store, bodies: true, flushMs: 60_000, maxQueueBytes: 1_000 * KB });
      // 990K characters, ~2.9 MB as UTF-8: counted as characters it was kept, the queue at 3 MB.
      writer.write(makeRecord({ requestId: "cjk", requestBody: "漢".repeat(990 * KB), responseBody: "{}" }));
      for (let i = 0; i < 5; i++) writer.write(makeRecord({ requestId: `r${i}` }));
      const held = writer.stats();
      expect(held).toMatchObject({ queued: 6, dropped: 0, bodiesDropped: 1 });
      expect(held.queuedBytes).toBeLessThan(1_000 * KB);
      // One that fits in bytes is kept whole.
      writer.write(makeRecord({ requestId: "fits", requestBody: "漢".repeat(200 * KB) }));
      await writer.flush();
      expect(rows.map((row) => [row.requestId, row.requestBody?.length ?? 0])).toEqual([
        ["cjk", BODY_NOT_KEPT.length],
        ["r0", 0],
        ["r1", 0],
        ["r2", 0],
        ["r3", 0],
        ["r4", 0],
        ["fits", 200 * KB],
      ]);
      await writer.close();
    });

    test("bodies that just fit leave room for the rows after them, which are kept with the marker", async () => {
      const { store, rows } = capturingStore(encoded);
      const maxQueueBytes = 1_024 * KB;
      // What bodies may take with their row: the bound less the sixteenth kept for rows.
      const fill = (maxQueueBytes * 15) / 16 - RECORD_BYTES;
      const open = () => new AuditWriter({ store, bodies: true, flushMs: 60_000, maxQueueBytes });
      const tooLarge = open();
      tooLarge.write(makeRecord({ requestId: "a byte over", requestBody: "x".repeat(fill + 1) }));
      expect(tooLarge.stats().bodiesDropped).toBe(1);
      await tooLarge.close();
      const writer = open();
      writer.write(makeRecord({ requestId: "exactly", requestBody: "x".repeat(fill) }));
      for (let i = 0; i < 50; i++) writer.write(withBodies(`r${i}`, 1));
      const held = writer.stats();
      expect(held).toMatchObject({ queued: 51, dropped: 0, bodiesDropped: 50 });
      expect(held.queuedBytes).toBeLessThanOrEqual(maxQueueBytes);
      await writer.flush();
      expect(rows[0]).toMatchObject({ requestId: "a byte over", requestBody: BODY_NOT_KEPT });
      expect(rows[1]?.requestBody?.length).toBe(fill);
      expect(rows.slice(2).map((row) => row.requestBody)).toEqual(Array(50).fill(BODY_NOT_KEPT));
      await writer.close();
    });

    test("a row that finds the queue full in bytes is refused and counted, as past maxQueue", async () => {
      const { store, rows } = capturingStore(encoded);
      const writer = new AuditWriter({ store, flushMs: 60_000, batchSize: 1_000, maxQueueBytes: 8 * KB });
      for (let i = 0; i < 200; i++) writer.write(makeRecord({ requestId: `r${i}` }));
      const { queued, queuedBytes, dropped } = writer.stats();
      // Rows without bodies are a few hundred bytes: some dozens fit.
      expect(queued).toBeGreaterThan(10);
      expect(queued).toBeLessThan(100);
      expect(dropped).toBe(200 - queued);
      // Each row is admitted while the queue is under the bound: past it by one row at most.
      expect(queuedBytes).toBeGreaterThanOrEqual(8 * KB);
      expect(queuedBytes).toBeLessThan(9 * KB);
      await writer.flush();
      // The rows of the requests served first are the ones kept.
      expect(rows.map((row) => row.requestId)).toEqual(Array.from({ length: queued }, (_, i) => `r${i}`));
      await writer.close();
    });
  });
}

test("on the SQLite audit thread, the row past the bound is stored with its bodies replaced", async () => {
  const dir = tempDir();
  const path = join(dir.path, "audit.db");
  const reader = openDatabase(path);
  const store = createThreadedAuditStore({ path, reader });
  cleanups.push(async () => {
    await store.close();
    closeDatabase(reader);
    dir.cleanup();
  });
  const writer = new AuditWriter({ store, bodies: true, flushMs: 60_000, maxQueueBytes: 512 * KB });
  writer.write(withBodies("kept", 300));
  writer.write(withBodies("replaced", 300));
  await writer.flush();
  const stored = await store.select({ order: "asc", bodies: true }, null, 10);
  const bodies = new Map(stored.map(({ record }) => [record.requestId, record.requestBody?.length]));
  expect(bodies).toEqual(
    new Map([
      ["kept", 300 * KB],
      ["replaced", BODY_NOT_KEPT.length],
    ]),
  );
  await writer.close();
});
