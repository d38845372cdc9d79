import type { Database } from "bun:sqlite";
import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { openDatabase } from "../storage/sqlite/open-database.ts";
import {
  createSqliteAuditStore,
  type SqliteAuditStoreOptions,
} from "../storage/sqlite/sqlite-audit-store.ts";
import { waitFor } from "../testing/wait-for.ts";
import { ABSENT_AS_NULL, makeRecord, tempDir } from "./audit-fixture.ts";
import type { AuditRecord } from "./audit-record.ts";
import { decodeAuditRows } from "./audit-row-reader.ts";
import { AuditWriter } from "./audit-writer.ts";
import type { AuditWriterOptions } from "./audit-writer-options.ts";
import type { QueueFill } from "./dropped-rows-log.ts";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function dbPath(): string {
  const dir = tempDir();
  cleanups.push(dir.cleanup);
  return join(dir.path, "audit.db");
}

function countRows(path: string, table = "audit_log"): number {
  const db = openDatabase(path, { readonly: true });
  try {
    return db.query<{ n: number }, []>(`SELECT count(*) AS n FROM ${table}`).get()!.n;
  } finally {
    db.close();
  }
}

/** The SQLite audit store over a handle or a factory, closed after the test. */
function sqlite(database: SqliteAuditStoreOptions["database"]) {
  const store = createSqliteAuditStore({ database });
  cleanups.unshift(() => store.close());
  return store;
}

/** Creates the file with its audit tables. */
async function createLog(path: string): Promise<void> {
  const store = createSqliteAuditStore({ database: () => openDatabase(path) });
  await store.probe();
  store.close();
}

const rowCount = (db: Database) =>
  db.query<{ n: number }, []>("SELECT count(*) AS n FROM audit_log").get()!.n;

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

describe("AuditWriter on failing storage", () => {
  test("a read-only database turns healthy off; once writable, the kept batch is written", async () => {
    const path = dbPath();
    await createLog(path);
    let readonly = true;
    const changes: boolean[] = [];
    const writer = new AuditWriter({
      store: sqlite(() => openDatabase(path, { readonly })),
      retryMs: 10,
      maxRetryMs: 20,
      onHealthChange: (healthy) => changes.push(healthy),
    });
    const records: AuditRecord[] = Array.from({ length: 30 }, (_, i) => makeRecord({ requestId: `r${i}` }));
    for (const record of records) writer.write(record);
    await writer.flush();
    expect(writer.healthy()).toBe(false);
    expect(changes).toEqual([false]);
    expect(writer.stats().queued).toBe(30);
    readonly = false;
    await waitFor("the writer healthy again", () => writer.healthy());
    expect(changes).toEqual([false, true]);
    await writer.close();
    expect(countRows(path)).toBe(30);
  });

  test("a full disk (SQLITE_FULL) turns healthy off, keeps the batch, and recovers", async () => {
    const path = dbPath();
    await createLog(path);
    const probe = openDatabase(path);
    // No room to grow: the next page the log needs fails with SQLITE_FULL.
    let maxPages = probe.query<{ page_count: number }, []>("PRAGMA page_count").get()!.page_count;
    probe.close();
    const open = () => {
      const db = openDatabase(path);
      if (maxPages > 0) db.run(`PRAGMA max_page_count = ${maxPages}`);
      return db;
    };
    const errors: string[] = [];
    const writer = new AuditWriter({
      store: sqlite(open),
      retryMs: 10,
      maxRetryMs: 20,
      flushMs: 60_000,
      onHealthChange: (healthy, error) => {
        if (!healthy) errors.push((error as { code?: string }).code ?? "");
      },
    });
    for (let i = 0; i < 2000; i++) writer.write(makeRecord({ requestId: `r${i}`, userAgent: `ua-${i}` }));
    await writer.flush();
    expect(writer.healthy()).toBe(false);
    expect(errors).toEqual(["SQLITE_FULL"]);
    expect(writer.stats().queued).toBe(2000);
    maxPages = 0;
    await waitFor("the writer healthy again", () => writer.healthy());
    await writer.close();
    expect(countRows(path)).toBe(2000);
  });

  test("a database that cannot be opened is unhealthy from the start", async () => {
    const writer = new AuditWriter({
      store: sqlite(() => openDatabase("/proc/no/such/dir/audit.db")),
      retryMs: 60_000,
    });
    // The writer probes the store as it starts; a flush waits for that probe.
    await writer.flush();
    expect(writer.healthy()).toBe(false);
    await writer.close();
  });

  test("the queue is bounded while storage is down: newer records are refused and counted", async () => {
    const path = dbPath();
    openDatabase(path).close();
    const writer = new AuditWriter({
      store: sqlite(() => openDatabase(path, { readonly: true })),
      maxQueue: 10,
      retryMs: 60_000,
    });
    for (let i = 0; i < 25; i++) writer.write(makeRecord());
    await writer.flush();
    expect(writer.stats()).toMatchObject({ healthy: false, queued: 10, dropped: 15 });
    await writer.close();
  });

  test("rowDrops hears of each refused row, and of a row queued only as the first after refusals", async () => {
    const path = dbPath();
    await createLog(path);
    let readonly = true;
    const heard: string[] = [];
    const writer = new AuditWriter({
      store: sqlite(() => openDatabase(path, { readonly })),
      maxQueue: 3,
      retryMs: 10,
      maxRetryMs: 20,
      rowDrops: {
        refused: (fill) => heard.push(`refused, ${fill().queued} queued`),
        queued: () => heard.push("queued"),
      },
    });
    await writer.flush();
    for (let i = 0; i < 5; i++) writer.write(makeRecord({ requestId: `r${i}` }));
    readonly = false;
    await waitFor("the queue written", () => writer.stats().queued === 0);
    for (let i = 5; i < 8; i++) writer.write(makeRecord({ requestId: `r${i}` }));
    expect(heard).toEqual(["refused, 3 queued", "refused, 3 queued", "queued"]);
    await writer.close();
    expect(countRows(path)).toBe(6);
  });
});

describe("AuditWriter closing on failing storage", () => {
  test("close() keeps retrying until its deadline: storage writable again within it gets every row", async () => {
    const path = dbPath();
    await createLog(path);
    let readonly = true;
    let opens = 0;
    const writer = new AuditWriter({
      store: sqlite(() => {
        opens++;
        return openDatabase(path, { readonly });
      }),
      retryMs: 10,
      maxRetryMs: 20,
      flushMs: 60_000,
    });
    for (let i = 0; i < 30; i++) writer.write(makeRecord({ requestId: `r${i}` }));
    await writer.flush();
    expect(writer.healthy()).toBe(false);
    const closing = writer.close(performance.now() + 60_000);
    // It tried twice at once and gave up, the rows lost: now it is still at it.
    const tried = opens;
    await waitFor("another attempt after close()", () => opens >= tried + 2);
    readonly = false;
    expect(await closing).toMatchObject({ queued: 0, written: 30, unwritten: [] });
    expect(countRows(path)).toBe(30);
  });

  test("close() with storage still down at its deadline hands back every unwritten record, oldest first", async () => {
    const path = dbPath();
    await createLog(path);
    const writer = new AuditWriter({
      store: sqlite(() => openDatabase(path, { readonly: true })),
      retryMs: 10,
      flushMs: 60_000,
    });
    const records = Array.from({ length: 30 }, (_, i) => makeRecord({ requestId: `r${i}` }));
    for (const record of records) writer.write(record);
    const closed = await writer.close(performance.now() + 50);
    expect(closed).toMatchObject({ healthy: false, queued: 0, written: 0 });
    expect(closed.unwritten).toEqual(records);
    writer.write(makeRecord());
    expect(writer.stats().dropped).toBe(1);
  });

  for (const encoded of [false, true])
    test(`a write that never settles does not outlive the deadline: its rows come back, counted as maybe written${encoded ? " (queued as bytes)" : ""}`, async () => {
      let inserts = 0;
      const hung = () => {
        inserts++;
        return new Promise<never>(() => {});
      };
      const writer = new AuditWriter({
        store: {
          insert: hung,
          ...(encoded ? { insertEncoded: hung } : {}),
          select: async () => [],
          prune: async () => 0,
          probe: async () => {},
        },
        batchSize: 10,
        flushMs: 60_000,
      });
      const records = Array.from({ length: 25 }, (_, i) => makeRecord({ requestId: `r${i}` }));
      for (const record of records) writer.write(record);
      const closed = await writer.close(performance.now() + 50);
      expect(inserts).toBe(1);
      expect(closed.maybeWritten).toBe(10);
      expect(closed.unwritten.map((record) => record.requestId)).toEqual(records.map((r) => r.requestId));
      expect(closed.queued).toBe(0);
    });

  for (const encoded of [false, true])
    test(`a write that never settles while running is a failure: unhealthy, its rows written again, none twice but those${encoded ? " (queued as bytes)" : ""}`, async () => {
      const written: string[] = [];
      let release: () => void = () => {};
      let inserts = 0;
      const insert = async (batch: AuditRecord[]) => {
        if (++inserts === 1) await new Promise<void>((resolve) => (release = resolve));
        written.push(...batch.map((record) => record.requestId));
        return { written: batch.length, rejected: 0 };
      };
      const health: [boolean, string][] = [];
      const store = {
        insert,
        select: async () => [],
        prune: async () => 0,
        probe: async () => {},
      };
      const writer = new AuditWriter({
        store: encoded
          ? { ...store, insertEncoded: (bytes: Uint8Array) => insert(decodeAuditRows(bytes)) }
          : store,
        batchSize: 10,
        flushMs: 10,
        retryMs: 10,
        storeCallMs: 50,
        onHealthChange: (healthy, error) =>
          health.push([healthy, error instanceof Error ? error.message : ""]),
      });
      const records = Array.from({ length: 25 }, (_, i) => makeRecord({ requestId: `r${i}` }));
      for (const record of records) writer.write(record);
      await waitFor("the hung write given up", () => !writer.healthy());
      expect(health[0]).toEqual([
        false,
        "the audit store did not answer a write of 10 rows within 50 ms: they are written again, and may be twice",
      ]);
      await waitFor("every row written by the retries", () => written.length === 25);
      expect(writer.healthy()).toBe(true);
      // The hung write answers at last: its rows (the "maybe" ones) are there twice, no others.
      release();
      await waitFor("the hung write's rows", () => written.length === 35);
      for (const [i, record] of records.entries())
        expect(written.filter((id) => id === record.requestId)).toHaveLength(i < 10 ? 2 : 1);
      expect((await writer.close()).unwritten).toEqual([]);
    });

  test("a probe that never settles at start is a failure: unhealthy until the store answers", async () => {
    let probes = 0;
    const writer = new AuditWriter({
      store: {
        insert: async (batch) => ({ written: batch.length, rejected: 0 }),
        select: async () => [],
        prune: async () => 0,
        probe: () => (++probes === 1 ? new Promise<never>(() => {}) : Promise.resolve()),
      },
      flushMs: 10,
      retryMs: 10,
      storeCallMs: 50,
    });
    await waitFor("the hung probe given up", () => !writer.healthy());
    writer.write(makeRecord());
    await waitFor("the row written once the store answers", () => writer.stats().written === 1);
    expect(writer.healthy()).toBe(true);
    await writer.close();
  });

  test("queued as bytes (a thread's store), the unwritten rows come back as the records they were", async () => {
    const failing = () =>
      Promise.reject(Object.assign(new Error("disk I/O error"), { code: "SQLITE_IOERR" }));
    const writer = new AuditWriter({
      store: {
        insert: failing,
        insertEncoded: failing,
        select: async () => [],
        prune: failing,
        probe: failing,
      },
      batchSize: 7,
      flushMs: 60_000,
    });
    const records = Array.from({ length: 30 }, (_, i) =>
      makeRecord({
        requestId: `r${i}`,
        userAgent: i % 2 === 0 ? "a" : "b",
        ...(i === 3 ? { errorMessage: "x" } : {}),
      }),
    );
    for (const record of records) writer.write(record);
    const { unwritten } = await writer.close();
    expect(unwritten).toEqual(records.map((record) => ({ ...ABSENT_AS_NULL, ...record })));
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
