import { afterEach, expect, test } from "bun:test";
import { statSync } from "node:fs";
import { join } from "node:path";
import { makeRecord, tempDir } from "../../audit/audit-fixture.ts";
import { encodeAuditBatch } from "../../audit/audit-row-bytes.ts";
import { waitFor } from "../../testing/wait-for.ts";
import { closeDatabase, openDatabase } from "./open-database.ts";
import { createSqliteAuditStore } from "./sqlite-audit-store.ts";
import { openSqliteStorage } from "./sqlite-storage.ts";
import {
  IDLE_CHECKPOINT_BYTES,
  IdleCheckpoints,
  openThreadDatabase,
  THREAD_AUTOCHECKPOINT_PAGES,
} from "./thread-checkpoints.ts";
import { createThreadedAuditStore } from "./threaded-audit-store.ts";

// The audit thread's WAL checkpoints: none inside a commit of a large body (SQLite's own 1000
// pages copied each 4 MB row into the file and synced it as it was committed), one between
// batches once the thread is idle, and the WAL bounded all the same while it never is.

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

const MiB = 1024 * 1024;

function dbPath(): string {
  const dir = tempDir();
  cleanups.push(dir.cleanup);
  return join(dir.path, "audit.db");
}

/** A row with ~`mb` MB of request body (an image as base64, say). */
const bodyRow = (id: string, mb: number) =>
  makeRecord({ requestId: id, requestBody: "x".repeat(mb * MiB), responseBody: '{"ok":true}' });

const sizeOf = (path: string) => statSync(path).size;

test("a 4 MB row is committed on the thread's connection without a checkpoint: the thread checkpoints it once idle", async () => {
  const path = dbPath();
  const store = createSqliteAuditStore({ database: () => openThreadDatabase(path), path });
  cleanups.push(() => store.close());
  const checkpoints = new IdleCheckpoints(() => store.maintain?.(false));
  await store.insert([makeRecord()]);
  const empty = sizeOf(path);
  await store.insert([bodyRow("big", 4)]);
  checkpoints.committed(4 * MiB);
  // Committed: in the WAL alone, the database file as it was.
  expect(sizeOf(`${path}-wal`)).toBeGreaterThan(4 * MiB);
  expect(sizeOf(path)).toBe(empty);
  await checkpoints.idle();
  expect(sizeOf(path)).toBeGreaterThan(empty + 4 * MiB);
  // Durability as every handle has it: WAL, synchronous=NORMAL (1).
  const db = openThreadDatabase(path);
  expect(db.query("PRAGMA journal_mode").get()).toEqual({ journal_mode: "wal" });
  expect(db.query("PRAGMA synchronous").get()).toEqual({ synchronous: 1 });
  expect(db.query("PRAGMA wal_autocheckpoint").get()).toEqual({
    wal_autocheckpoint: THREAD_AUTOCHECKPOINT_PAGES,
  });
  db.close();
});

test("idle, the thread checkpoints once its commits added IDLE_CHECKPOINT_BYTES to the WAL since the last, small ones their pages", async () => {
  let checkpointed = 0;
  const checkpoints = new IdleCheckpoints(async () => {
    checkpointed++;
  });
  // A commit of small rows writes a few pages whole: 256 of them are ~4 MiB of WAL, as SQLite's
  // own 1000 pages would checkpoint.
  for (let i = 0; i < 255; i++) checkpoints.committed(64);
  await checkpoints.idle();
  expect(checkpointed).toBe(0);
  checkpoints.committed(64);
  await checkpoints.idle();
  await checkpoints.idle();
  expect(checkpointed).toBe(1);
  checkpoints.committed(IDLE_CHECKPOINT_BYTES);
  await checkpoints.idle();
  expect(checkpointed).toBe(2);
});

test("on the audit thread, the WAL stays bounded while batches of 4 MB rows keep it busy, and is checkpointed once it is idle", async () => {
  const path = dbPath();
  const reader = openDatabase(path);
  const store = createThreadedAuditStore({ path, reader });
  cleanups.push(async () => {
    await store.close();
    closeDatabase(reader);
  });
  // 96 MB posted at once: the thread is not idle until the last, past the autocheckpoint's bound.
  const rows = 24;
  let walMost = 0;
  await Promise.all(
    Array.from({ length: rows }, (_, i) =>
      store.insertEncoded(encodeAuditBatch([bodyRow(`r${i}`, 4)])).then(() => {
        walMost = Math.max(walMost, sizeOf(`${path}-wal`));
      }),
    ),
  );
  // Its bound (64 MiB of pages), and the commit that took it there.
  expect(walMost).toBeLessThan((THREAD_AUTOCHECKPOINT_PAGES * 4096 + 8 * MiB) * 1.05);
  await waitFor("the rows checkpointed into the database file", () => sizeOf(path) > rows * 4 * MiB);
});

test("beside the audit thread, the event loop's handle checkpoints as SQLite does until the thread starts, and never in a commit after", async () => {
  const path = dbPath();
  const storage = openSqliteStorage(path);
  cleanups.push(() => storage.close());
  const autocheckpoint = () => storage.db.query("PRAGMA wal_autocheckpoint").get();
  expect(autocheckpoint()).toEqual({ wal_autocheckpoint: 1000 });
  // A process that opens the store writable and audits nothing (its writes on this handle: stored
  // responses, keys) keeps its WAL at SQLite's bound: with no thread to checkpoint, it grew whole.
  storage.db.run("CREATE TABLE scratch (value TEXT)");
  for (let i = 0; i < 24; i++) storage.db.run("INSERT INTO scratch VALUES (?)", ["x".repeat(MiB)]);
  expect(sizeOf(`${path}-wal`)).toBeLessThan(8 * MiB);
  // The audit store's reads prepare the same handle: they leave it so.
  await storage.audit.select({ order: "asc", bodies: false }, null, 1);
  expect(autocheckpoint()).toEqual({ wal_autocheckpoint: 1000 });
  await storage.audit.insert([makeRecord({ requestId: "starts the thread" })]);
  expect(autocheckpoint()).toEqual({ wal_autocheckpoint: 0 });
});

test("the periodic checkpoint starts the idle count again", async () => {
  let checkpointed = 0;
  const checkpoints = new IdleCheckpoints(async () => {
    checkpointed++;
  });
  checkpoints.committed(IDLE_CHECKPOINT_BYTES - 1);
  checkpoints.checkpointed();
  checkpoints.committed(64);
  await checkpoints.idle();
  expect(checkpointed).toBe(0);
});
