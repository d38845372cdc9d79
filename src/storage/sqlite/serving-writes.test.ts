import { expect, test } from "bun:test";
import { keyRecord } from "../../testing/key-record.ts";
import { closeDatabase, openDatabase } from "./open-database.ts";
import { openSqliteStorage } from "./sqlite-storage.ts";
import { tempDir } from "./test-helpers.ts";

const key = keyRecord({ createdAt: 1_700_000_000_000 });

/**
 * Key last-used times and spend are written by the audit thread: while another connection
 * holds the file's write lock, this thread keeps running (a timer fires) instead of sleeping in
 * SQLite's busy handler, and both writes land once the lock is released.
 */
test("key touches and spend wait for the write lock in the audit thread, not on the event loop", async () => {
  const tmp = tempDir();
  const path = tmp.file("serving.db");
  const storage = openSqliteStorage(path);
  const blocker = openDatabase(path);
  try {
    await storage.keys.create(key);
    blocker.run("BEGIN IMMEDIATE");
    let written = false;
    const writes = Promise.all([
      storage.keys.touch(new Map([[key.id, 1_700_000_000_500]])),
      storage.spend.add(new Map([[key.id, 0.25]])),
    ]).then(() => {
      written = true;
    });
    // A zero-delay timer fires only if this thread is not stuck in SQLite's busy handler (the
    // writes above must be waiting elsewhere, in the audit thread): the stimulus, not a wait.
    const timerFired = await new Promise<boolean>((resolve) => setTimeout(() => resolve(true), 0));
    expect(timerFired).toBe(true);
    expect(written).toBe(false);
    blocker.run("ROLLBACK");
    await writes;
    expect((await storage.keys.getById(key.id))?.lastUsedAt).toBe(1_700_000_000_500);
    expect(await storage.spend.total(key.id)).toBe(0.25);
  } finally {
    closeDatabase(blocker);
    await storage.close();
    tmp.cleanup();
  }
});
