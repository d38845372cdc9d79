import { afterAll, beforeAll, expect, test } from "bun:test";
import { SQL } from "bun";
import { type PostgresServer, startPostgres } from "../../../test/e2e/harness/postgres-server.ts";
import { describeError } from "../../core/describe-error.ts";
import { GatewayError } from "../../core/gateway-error.ts";
import type { Storage } from "../storage.ts";
import { storeCallBoundMs } from "./postgres-calls.ts";
import { openPostgresStorage } from "./postgres-storage.ts";

let server: PostgresServer;
beforeAll(async () => {
  server = await startPostgres();
}, 60_000);
afterAll(() => server.stop());

/** A node whose store calls are bounded by its idle timeout (2 s: 1 s), not statement_timeout (30 s). */
const open = (url: string, pool = 2) =>
  openPostgresStorage({
    url,
    pool,
    statementTimeoutMs: 30_000,
    idleTimeoutMs: 2_000,
    connectTimeoutMs: 1_000,
    sslmode: "disable",
  });

/** Holds `lock` on `table` in a session of its own until `release` is called. */
async function holdLock(url: string, table: string) {
  const sql = new SQL({ url, max: 1 });
  let release = () => {};
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let locked = () => {};
  const isLocked = new Promise<void>((resolve) => {
    locked = resolve;
  });
  const held = sql.begin(async (tx) => {
    await tx.unsafe(`LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE`);
    locked();
    await released;
  });
  await isLocked;
  let done = false;
  return {
    /** False until `release`: a call that settles while this is false settled under the lock. */
    released: () => done,
    async release() {
      done = true;
      release();
      await held;
      await sql.close();
    },
  };
}

/** The call's rejection, with whether the lock was still held when it came. */
async function refusal(call: Promise<unknown>, lock: { released(): boolean }) {
  const error = await call.then(
    () => null,
    (e: unknown) => e,
  );
  return { error, underLock: !lock.released() };
}

const response = (id: string) => ({
  tenant: "t",
  id,
  response: { id },
  items: [],
  createdAt: Date.now(),
});

test("the bound: statement_timeout, and a second before the node's idle timeout", () => {
  expect(storeCallBoundMs(30_000, 30_000)).toBe(29_000);
  expect(storeCallBoundMs(10_000, 30_000)).toBe(10_000);
  expect(storeCallBoundMs(30_000)).toBe(30_000);
  // statement_timeout 0 is PostgreSQL's "no limit": the idle timeout alone bounds.
  expect(storeCallBoundMs(0, 5_000)).toBe(4_000);
  expect(storeCallBoundMs(0)).toBeUndefined();
  expect(storeCallBoundMs(30_000, 1_000)).toBe(500);
});

test("a write blocked on a lock gets storage_unavailable at the bound, while the lock is held, and never applies", async () => {
  const url = await server.createDatabase();
  const storage = await open(url);
  const lock = await holdLock(url, "stored_responses");
  try {
    // More calls than connections: some wait for the pool, some wait on the lock.
    const calls = Array.from({ length: 5 }, (_, i) =>
      refusal(storage.responses.save(response(`r${i}`)), lock),
    );
    for (const { error, underLock } of await Promise.all(calls)) {
      expect(underLock).toBe(true);
      expect(error).toBeInstanceOf(GatewayError);
      expect((error as GatewayError).code).toBe("storage_unavailable");
      expect(describeError(error)).toContain("the storage call bound");
    }
    // Two waited on the lock, the others (but one that got a connection as it freed) for a
    // connection those held: the log line tells which.
    const causes = (await Promise.all(calls)).map(({ error }) => describeError(error));
    const poolBusy = causes.filter((text) => text.includes("every storage.pool connection stayed in use"));
    expect(poolBusy.length).toBeGreaterThan(0);
    expect(poolBusy.length).toBeLessThanOrEqual(3);
  } finally {
    await lock.release();
  }
  // Cancelled, not merely abandoned: nothing of them was written once the lock went.
  for (let i = 0; i < 5; i++) expect(await storage.responses.get("t", `r${i}`)).toBeNull();
  await storage.close();
}, 30_000);

test("a spend flush cut at the bound adds nothing, so its retry counts each delta once", async () => {
  const url = await server.createDatabase();
  const storage = await open(url);
  await storage.spend.add(new Map([["k1", 1]]));
  const lock = await holdLock(url, "key_spend");
  try {
    const { error, underLock } = await refusal(storage.spend.add(new Map([["k1", 2]])), lock);
    expect(underLock).toBe(true);
    expect((error as GatewayError).code).toBe("storage_unavailable");
  } finally {
    await lock.release();
  }
  await storage.spend.add(new Map([["k1", 2]]));
  expect(await storage.spend.total("k1")).toBe(3);
  await storage.close();
}, 30_000);

test("a spend flush sent again under its id adds nothing the second time; another id adds again", async () => {
  const url = await server.createDatabase();
  const storage = await open(url);
  await storage.spend.add(new Map([["k1", 1]]), "flush-1");
  // The ledger's retry of a flush whose answer never came: it had landed.
  await storage.spend.add(new Map([["k1", 1]]), "flush-1");
  expect(await storage.spend.total("k1")).toBe(1);
  await storage.spend.add(new Map([["k1", 2]]), "flush-2");
  await storage.spend.add(new Map([["k1", 4]]));
  expect(await storage.spend.total("k1")).toBe(7);
  const changed = await storage.spend.changedSince(0);
  expect(changed.totals).toEqual(new Map([["k1", 7]]));
  await storage.close();
}, 30_000);

const keyRecord = (id: string) => ({
  id,
  hash: `h-${id}`,
  prefix: "mgw_abcd",
  last4: "wxyz",
  name: "k",
  tenant: "default",
  role: "user" as const,
  models: ["*"],
  rpm: null,
  tpm: null,
  budgetUsd: null,
  expiresAt: null,
  revokedAt: null,
  createdAt: Date.now(),
  lastUsedAt: null,
});

test("a key change in a transaction is rolled back at the bound; its connection is back in the pool at once", async () => {
  const url = await server.createDatabase();
  // One connection: had the cut call kept it (or lost it), the next read would wait, or fail.
  const storage: Storage = await open(url, 1);
  const admin = new SQL({ url, max: 1 });
  const pool = async () =>
    (
      await admin`SELECT pid FROM pg_stat_activity
        WHERE datname = current_database() AND application_name = 'mindgw' AND pid <> pg_backend_pid()`
    ).map((row: { pid: number }) => row.pid);
  const before = await pool();
  const lock = await holdLock(url, "api_keys");
  try {
    const { error, underLock } = await refusal(storage.keys.create(keyRecord("key_1")), lock);
    expect(underLock).toBe(true);
    expect((error as GatewayError).code).toBe("storage_unavailable");
    expect(await storage.spend.total("nobody")).toBe(0);
    expect(lock.released()).toBe(false);
  } finally {
    await lock.release();
  }
  expect(await storage.keys.count()).toBe(0);
  // The pool's one connection is the one it had: given back, not closed and replaced.
  expect(before).toHaveLength(1);
  expect(await pool()).toEqual(before);
  await admin.close();
  await storage.close();
}, 30_000);

test("a key change whose COMMIT is under way at the bound waits for its answer: created, not a 503", async () => {
  const url = await server.createDatabase();
  const storage = await open(url);
  // COMMIT runs the deferred trigger: it takes 1.5 s, past the 1 s bound, and cannot be cut.
  const admin = new SQL({ url, max: 1 });
  await admin.unsafe(`
    CREATE FUNCTION slow_commit() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN PERFORM pg_sleep(1.5); RETURN NULL; END $$;
    CREATE CONSTRAINT TRIGGER slow_commit AFTER INSERT ON api_keys
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION slow_commit();`);
  await storage.keys.create(keyRecord("key_1"));
  expect((await storage.keys.getById("key_1"))?.id).toBe("key_1");
  await admin.close();
  await storage.close();
}, 30_000);
