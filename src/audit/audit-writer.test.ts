import type { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { existsSync, statSync } from "node:fs";
import { openDatabase } from "../storage/sqlite/open-database.ts";
import { waitFor } from "../testing/wait-for.ts";
import { makeRecord } from "./audit-fixture.ts";
import type { AuditRecord } from "./audit-record.ts";
import { AuditWriter } from "./audit-writer.ts";
import type { AuditWriterOptions } from "./audit-writer-options.ts";
import type { QueueFill } from "./dropped-rows-log.ts";
import { countRows, rowCount, writerFiles } from "./testing/writer-files.ts";

// AuditWriter's batches on a working store: what a flush writes, when, and in how many batches.
// On a store that fails, and closing on one: audit-writer-failing.test.ts.
const { dbPath, sqlite } = writerFiles();

describe("AuditWriter", () => {
  test("write() only queues; a flush writes N records as N rows in batches", async () => {
    const db = openDatabase(dbPath());
    const writer = new AuditWriter({ store: sqlite(db), flushMs: 10_000, batchSize: 100_000 });
    for (let i = 0; i < 1234; i++) writer.write(makeRecord({ requestId: `r${i}`, startedAt: i }));
    expect(rowCount(db)).toBe(0);
    expect(writer.stats().queued).toBe(1234);
    await writer.flush();
    expect(rowCount(db)).toBe(1234);
    expect(writer.stats()).toMatchObject({ queued: 0, written: 1234, dropped: 0, healthy: true });
    await writer.close();
    db.close();
  });

  test("the flush window and the batch size each trigger a write", async () => {
    const db = openDatabase(dbPath());
    const timed = new AuditWriter({ store: sqlite(db), flushMs: 20 });
    timed.write(makeRecord());
    await waitFor("the first row", () => rowCount(db) === 1);
    const sized = new AuditWriter({ store: sqlite(db), flushMs: 60_000, batchSize: 50 });
    for (let i = 0; i < 50; i++) sized.write(makeRecord());
    await waitFor("51 rows", () => rowCount(db) === 51);
    await timed.close();
    await sized.close();
    db.close();
  });

  test("round-trips every field and interns repeated metadata", async () => {
    const db = openDatabase(dbPath());
    const writer = new AuditWriter({ store: sqlite(db) });
    for (let i = 0; i < 10; i++) writer.write(makeRecord({ requestId: `r${i}` }));
    writer.write(
      makeRecord({ keyId: null, keyName: null, tenant: null, role: null, model: null, route: null }),
    );
    await writer.flush();
    expect(db.query<{ n: number }, []>("SELECT count(*) AS n FROM audit_principals").get()!.n).toBe(1);
    // model and upstream model, route, user agent: four distinct strings for eleven rows.
    expect(db.query<{ n: number }, []>("SELECT count(*) AS n FROM audit_strings").get()!.n).toBe(4);
    await writer.close();
    db.close();
  });

  test("close() flushes everything; the store's close checkpoints with TRUNCATE: zero loss", async () => {
    const path = dbPath();
    const store = sqlite(() => openDatabase(path));
    const writer = new AuditWriter({ store, flushMs: 60_000, batchSize: 700 });
    for (let i = 0; i < 5000; i++) writer.write(makeRecord({ requestId: `r${i}` }));
    const stats = await writer.close();
    store.close();
    expect(stats).toMatchObject({ queued: 0, written: 5000 });
    // TRUNCATE empties the WAL; the last close then removes it.
    expect(existsSync(`${path}-wal`) ? statSync(`${path}-wal`).size : 0).toBe(0);
    expect(countRows(path)).toBe(5000);
    writer.write(makeRecord());
    expect(writer.stats().dropped).toBe(1);
  });

  test("bodies are stored only with bodies: true, and always through the redaction hook", async () => {
    const db = openDatabase(dbPath());
    const redact = (body: string, kind: "request" | "response") =>
      `${kind}:${body.replaceAll("sk-secret", "***")}`;
    const off = new AuditWriter({ store: sqlite(db), redact });
    off.write(makeRecord({ requestBody: "sk-secret", responseBody: "x" }));
    await off.flush();
    expect(db.query<{ n: number }, []>("SELECT count(*) AS n FROM audit_bodies").get()!.n).toBe(0);
    const on = new AuditWriter({ store: sqlite(db), bodies: true, redact });
    on.write(makeRecord({ requestBody: '{"key":"sk-secret"}', responseBody: "ok" }));
    on.write(makeRecord({ requestBody: "boom", responseBody: null }));
    await on.flush();
    const bodies = db.query("SELECT request_body, response_body FROM audit_bodies ORDER BY log_id").all();
    expect(bodies).toEqual([
      { request_body: 'request:{"key":"***"}', response_body: "response:ok" },
      { request_body: "request:boom", response_body: null },
    ]);
    await off.close();
    await on.close();
    db.close();
  });

  test("a record SQLite refuses on its own is dropped and counted; the batch is written", async () => {
    const db = openDatabase(dbPath());
    const writer = new AuditWriter({ store: sqlite(db) });
    writer.write(makeRecord());
    writer.write(makeRecord({ status: { bad: true } as unknown as number }));
    writer.write(makeRecord());
    await writer.flush();
    expect(writer.stats()).toMatchObject({ written: 2, rejected: 1, healthy: true });
    await writer.close();
    db.close();
  });
});

describe("AuditWriter batches", () => {
  /** The SQLite store whose inserts wait for `open()`; `batches` lists each insert's size. */
  function gatedStore(db: Database) {
    const inner = sqlite(db);
    const batches: number[] = [];
    let open!: () => void;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const store = {
      ...inner,
      insert: async (records: readonly AuditRecord[]) => {
        batches.push(records.length);
        await gate;
        return inner.insert(records);
      },
    };
    return { store, batches, open };
  }

  /**
   * A writer of batches of three (a minute's flush window; `options` over them) on a gated store of
   * a database of its own, its first batch of three handed to the store and held there.
   */
  async function firstBatchHeld(options: Partial<AuditWriterOptions> = {}) {
    const db = openDatabase(dbPath());
    const { store, batches, open } = gatedStore(db);
    const writer = new AuditWriter({ store, flushMs: 60_000, batchSize: 3, ...options });
    for (let i = 0; i < 3; i++) writer.write(makeRecord());
    await waitFor("the first batch", () => batches.length === 1);
    return { db, writer, batches, open };
  }

  test("records queued during a write wait for their own flush window, then go in one batch", async () => {
    const { db, writer, batches, open } = await firstBatchHeld();
    writer.write(makeRecord());
    writer.write(makeRecord());
    open();
    await waitFor("3 written", () => writer.stats().written === 3);
    // Not a chain of small inserts right behind the first: the two wait for their timer.
    expect(batches).toEqual([3]);
    expect(writer.stats().queued).toBe(2);
    await writer.flush();
    expect(batches).toEqual([3, 2]);
    expect(rowCount(db)).toBe(5);
    await writer.close();
    db.close();
  });

  test("a whole batch still queued after a write goes right behind it, not a flush window later", async () => {
    const db = openDatabase(dbPath());
    const { store, batches, open } = gatedStore(db);
    const writer = new AuditWriter({ store, flushMs: 60_000, batchSize: 3 });
    // More than two batches by the time the first goes (traffic above a batch a flush window).
    for (let i = 0; i < 7; i++) writer.write(makeRecord());
    await waitFor("the first batch", () => batches.length === 1);
    // One more while it is written: the queue never passes through exactly a batch again, so this
    // one arms the flush window's timer.
    writer.write(makeRecord());
    open();
    await waitFor("6 written", () => writer.stats().written === 6);
    // What is left, under a batch, waits for its own timer as before.
    expect(batches).toEqual([3, 3]);
    expect(writer.stats().queued).toBe(2);
    await writer.close();
    expect(rowCount(db)).toBe(8);
    db.close();
  });

  test("the rows of the batch being written count as queued, as their bytes do: the bound, the stats and a refusal's reading all count the same rows", async () => {
    const fills: QueueFill[] = [];
    let readLater: (() => QueueFill) | undefined;
    const { db, writer, open } = await firstBatchHeld({
      maxQueue: 5,
      rowDrops: {
        refused: (fill) => {
          fills.push(fill());
          readLater = fill;
        },
        queued: () => {},
      },
    });
    writer.write(makeRecord());
    writer.write(makeRecord());
    const held = writer.stats();
    expect(held.queued).toBe(5);
    // Refused: the queue holds five rows, three of them in the write still waiting on the store.
    writer.write(makeRecord());
    expect(fills).toEqual([
      {
        queued: 5,
        queuedBytes: held.queuedBytes,
        maxQueue: 5,
        maxQueueBytes: expect.any(Number),
        full: true,
      },
    ]);
    expect(writer.stats()).toMatchObject({ queued: 5, dropped: 1 });
    open();
    await writer.flush();
    expect(writer.stats()).toMatchObject({ queued: 0, queuedBytes: 0, written: 5 });
    // Read again once drained (as the log reads it when its timer runs out), the writer's own verdict.
    expect(readLater?.()).toMatchObject({ queued: 0, full: false });
    await writer.close();
    db.close();
  });

  test("a batch whose write fails is queued again: the bound counts its rows in flight as after, so the queue never holds more than maxQueue", async () => {
    // Not the rows waiting alone: a bound that left the batch in flight out would take five beside
    // its three (the sixth row here), and hold eight once the failed batch was back in the queue.
    const db = openDatabase(dbPath());
    const inner = sqlite(db);
    let fail!: () => void;
    const failing = new Promise<void>((resolve) => {
      fail = resolve;
    });
    let inserts = 0;
    const store = {
      ...inner,
      insert: async (records: readonly AuditRecord[]) => {
        if (inserts++ > 0) return inner.insert(records);
        await failing;
        throw new Error("disk full");
      },
    };
    const writer = new AuditWriter({ store, flushMs: 60_000, batchSize: 3, maxQueue: 5, retryMs: 60_000 });
    for (let i = 0; i < 3; i++) writer.write(makeRecord());
    await waitFor("the first batch in flight", () => inserts === 1);
    for (let i = 0; i < 3; i++) writer.write(makeRecord());
    expect(writer.stats()).toMatchObject({ queued: 5, dropped: 1 });
    fail();
    await waitFor("the failed write", () => !writer.healthy());
    // Its three rows back in the queue: the same five, no room made by the failure.
    writer.write(makeRecord());
    expect(writer.stats()).toMatchObject({ queued: 5, dropped: 2 });
    await writer.flush();
    expect(writer.stats()).toMatchObject({ queued: 0, written: 5, dropped: 2, healthy: true });
    expect(rowCount(db)).toBe(5);
    await writer.close();
    db.close();
  });

  test("flush() during a timed write also writes what was queued meanwhile", async () => {
    const { db, writer, open } = await firstBatchHeld();
    writer.write(makeRecord());
    writer.write(makeRecord());
    const flushed = writer.flush();
    open();
    await flushed;
    expect(writer.stats()).toMatchObject({ queued: 0, written: 5 });
    expect(rowCount(db)).toBe(5);
    await writer.close();
    db.close();
  });
});
