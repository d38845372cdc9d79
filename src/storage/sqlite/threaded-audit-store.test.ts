import { expect, test } from "bun:test";
import { existsSync, readdirSync, readlinkSync, rmSync } from "node:fs";
import { join } from "node:path";
import { makeRecord, tempDir } from "../../audit/audit-fixture.ts";
import { encodeAuditBatch } from "../../audit/audit-row-bytes.ts";
import { cellsKeptAfterChurn } from "../../testing/kept-after-churn.ts";
import { closeDatabase, openDatabase } from "./open-database.ts";
import { isStorageFailure } from "./storage-failure.ts";
import { createThreadedAuditStore } from "./threaded-audit-store.ts";

const count = (db: ReturnType<typeof openDatabase>) =>
  db.query<{ n: number }, []>("SELECT count(*) AS n FROM audit_log").get()?.n ?? 0;

test("writes, prunes and probes in the thread; reads see them through the caller's handle", async () => {
  const dir = tempDir();
  const path = join(dir.path, "audit.db");
  const reader = openDatabase(path);
  const store = createThreadedAuditStore({ path, reader });
  try {
    const records = Array.from({ length: 30 }, (_, i) =>
      makeRecord({ requestId: `r${i}`, startedAt: 1000 + i }),
    );
    expect(await store.insert(records)).toEqual({ written: 30, rejected: 0 });
    expect(count(reader)).toBe(30);
    const page = await store.select({ order: "desc", bodies: false }, null, 5);
    expect(page.map((e) => e.record.requestId)).toEqual(["r29", "r28", "r27", "r26", "r25"]);
    expect(await store.prune(1010, 100)).toBe(10);
    expect(count(reader)).toBe(20);
    await store.probe();
    expect(count(reader)).toBe(20);
    await store.maintain?.(true);
    await store.close();
    // Closed with a checkpoint: the WAL is empty (or gone once the reader closes too).
    expect(existsSync(`${path}-wal`) ? Bun.file(`${path}-wal`).size : 0).toBe(0);
  } finally {
    closeDatabase(reader);
    dir.cleanup();
  }
});

/** A threaded store on a new file, its thread started (one row written), closed after `run`. */
async function withStartedStore(run: (store: ReturnType<typeof createThreadedAuditStore>) => Promise<void>) {
  const dir = tempDir();
  const path = join(dir.path, "audit.db");
  const reader = openDatabase(path);
  const store = createThreadedAuditStore({ path, reader });
  try {
    await store.insert([makeRecord()]);
    await run(store);
  } finally {
    await store.close();
    closeDatabase(reader);
    dir.cleanup();
  }
}

test("bodies handed to the thread as their UTF-8 are stored as the text they were, whole", () =>
  withStartedStore(async (store) => {
    // The thread binds a body as its bytes (no string of it made there), cast to text.
    const bodies = ["", "ünïcødé ✓ 😀", "a\u0000b\u2028c", `{"image":"${"A".repeat(4 << 20)}"}`];
    const records = bodies.map((body, i) =>
      makeRecord({
        requestId: `b${i}`,
        startedAt: 2000 + i,
        requestBody: body,
        responseBody: i === 0 ? null : body,
      }),
    );
    expect(await store.insertEncoded(encodeAuditBatch(records))).toEqual({ written: 4, rejected: 0 });
    const page = await store.select({ order: "asc", bodies: true }, null, 10);
    const stored = page.filter((e) => e.record.requestId.startsWith("b")).map((e) => e.record);
    expect(stored.map((r) => r.requestBody)).toEqual(bodies);
    expect(stored.map((r) => r.responseBody)).toEqual([null, ...bodies.slice(1)]);
  }));

test("calls the thread answered leave nothing for young collections to keep (a Map of waiters did)", () =>
  withStartedStore(async (store) => {
    // A round trip to the thread that changes nothing: its waiter enters the table and leaves.
    const kept = await cellsKeptAfterChurn("Cell Butterfly", () => store.prune(0, 1));
    // The Map replaced its storage every fourth call and kept each one: 500 for 2,000 calls.
    expect(kept).toBeLessThan(100);
  }));

test("a batch insert does not hold this thread: a timer fires while it is written", () =>
  withStartedStore(async (store) => {
    const batch = Array.from({ length: 20_000 }, (_, i) =>
      makeRecord({ requestId: `big${i}`, requestBody: "x" }),
    );
    let timerFired = false;
    setTimeout(() => {
      timerFired = true;
    }, 0);
    const written = store.insert(batch).then((result) => ({ result, timerFiredFirst: timerFired }));
    // On this thread, the insert's body would run to the end before any timer could fire.
    const { result, timerFiredFirst } = await written;
    expect(result.written).toBe(20_000);
    expect(timerFiredFirst).toBe(true);
  }));

test("a storage failure in the thread reaches the writer with SQLite's code", async () => {
  const dir = tempDir();
  // The database path is a directory: SQLite cannot open it (SQLITE_CANTOPEN).
  const reader = openDatabase(":memory:");
  const store = createThreadedAuditStore({ path: dir.path, reader });
  try {
    const failure = await store.insert([makeRecord()]).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Error);
    expect(isStorageFailure(failure)).toBe(true);
  } finally {
    await store.close();
    reader.close();
    dir.cleanup();
  }
});

test("a database file replaced or deleted while open takes no more rows, as a storage failure, until a restart", async () => {
  for (const how of ["replaced", "deleted"] as const) {
    const dir = tempDir();
    const path = join(dir.path, "audit.db");
    const reader = openDatabase(path);
    const store = createThreadedAuditStore({ path, reader });
    try {
      expect(await store.insert([makeRecord({ requestId: "before" })])).toEqual({ written: 1, rejected: 0 });
      // A backup restored over it with `mv`, or the files removed: SQLite would write on, unseen.
      for (const suffix of ["", "-wal", "-shm"]) rmSync(`${path}${suffix}`, { force: true });
      if (how === "replaced") closeDatabase(openDatabase(path));
      const refused = await store
        .insert([makeRecord({ requestId: "after" })])
        .catch((error: unknown) => error);
      expect(isStorageFailure(refused)).toBe(true);
      expect(String(refused)).toContain("the database file was replaced or deleted while open");
      // And it stays refused: the file now at the path is not the one the other handles hold.
      expect(isStorageFailure(await store.insert([makeRecord()]).catch((error: unknown) => error))).toBe(
        true,
      );
      expect(isStorageFailure(await store.probe().catch((error: unknown) => error))).toBe(true);
      // Checked before each reopen: retries neither create an empty database where one was removed
      // nor open the restored one.
      if (how === "deleted") expect(existsSync(path)).toBe(false);
    } finally {
      await store.close();
      closeDatabase(reader);
      dir.cleanup();
    }
  }
});

test("a tenant's usage is read beside the audit thread: it answers while an insert waits for the write lock", async () => {
  const dir = tempDir();
  const path = join(dir.path, "audit.db");
  const reader = openDatabase(path);
  const store = createThreadedAuditStore({ path, reader });
  const other = openDatabase(path);
  try {
    await store.insert([makeRecord({ requestId: "r1", tenant: "acme", startedAt: 1_000, costUsd: 0.5 })]);
    // Another process (`mindgw keys`, say) holds the write lock: the thread's next insert waits.
    other.run("BEGIN IMMEDIATE");
    let inserted = false;
    const insert = store
      .insert([makeRecord({ requestId: "r2", tenant: "acme", startedAt: 1_001 })])
      .finally(() => {
        inserted = true;
      });
    const usageOf = async () => (await store.tenantUsage?.(["acme"], 0, 2_000))?.get("acme");
    expect(await usageOf()).toMatchObject({ requests: 1, costUsd: 0.5 });
    expect(inserted).toBe(false);
    other.run("COMMIT");
    expect(await insert).toEqual({ written: 1, rejected: 0 });
    expect((await usageOf())?.requests).toBe(2);
  } finally {
    closeDatabase(other);
    await store.close();
    closeDatabase(reader);
    dir.cleanup();
  }
});

/** The process's descriptors open on the database's files (the file, its WAL, its shared memory). */
const openOn = (path: string) =>
  readdirSync("/proc/self/fd").filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`).startsWith(path);
    } catch {
      return false;
    }
  }).length;

test("closed after a start-up probe, the store and its reader leave none of the database's files open", async () => {
  const dir = tempDir();
  const path = join(dir.path, "probed.db");
  try {
    const reader = openDatabase(path);
    const store = createThreadedAuditStore({ path, reader });
    // The writer's probe at start runs on the reader's handle, the thread not started yet.
    await store.probe();
    expect(openOn(path)).toBeGreaterThan(0);
    await store.close();
    closeDatabase(reader);
    // The probe's statements were left unfinalized, so closing the reader kept all three open.
    expect(openOn(path)).toBe(0);
  } finally {
    dir.cleanup();
  }
});
