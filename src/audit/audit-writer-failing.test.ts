import { describe, expect, test } from "bun:test";
import { openDatabase } from "../storage/sqlite/open-database.ts";
import { waitFor } from "../testing/wait-for.ts";
import { ABSENT_AS_NULL, makeRecord } from "./audit-fixture.ts";
import type { AuditRecord } from "./audit-record.ts";
import { decodeAuditRows } from "./audit-row-reader.ts";
import { AuditWriter } from "./audit-writer.ts";
import { countRows, createLog, writerFiles } from "./testing/writer-files.ts";

// AuditWriter on a store that fails (read-only, full, unopenable, a probe that never settles): it
// says it is unhealthy, keeps and bounds its queue, and on close retries to its deadline, then
// hands back what it could not write.
const { dbPath, sqlite } = writerFiles();

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
