import { afterAll, describe, expect, test } from "bun:test";
import { openSqliteStorage } from "../storage/sqlite/sqlite-storage.ts";
import { tempDir } from "../storage/sqlite/test-helpers.ts";
import type { KeyStore } from "../storage/storage.ts";
import { keyRecord } from "../testing/key-record.ts";
import { wallAndElapsed } from "../testing/stepped-clocks.ts";
import { generateApiKey } from "./api-key.ts";
import { createKeyAdmin } from "./key-admin.ts";
import { KeyCache } from "./key-cache.ts";
import { countingStore, manualClock } from "./test-support.ts";

const tmp = tempDir();
afterAll(tmp.cleanup);
let files = 0;

function setup(options: { negativeTtlMs?: number; maxNegative?: number } = {}) {
  const storage = openSqliteStorage(tmp.file(`cache-${++files}.db`));
  const clock = manualClock();
  const store = countingStore(storage.keys);
  const cache = new KeyCache({ store, now: clock.now, refreshMs: 0, ...options });
  const admin = createKeyAdmin({ store, now: clock.now, onChange: (r) => cache.onKeyChanged(r) });
  return { storage, clock, store, cache, admin };
}

describe("KeyCache", () => {
  test("a known key costs one store read, then none", async () => {
    const { storage, store, cache, admin } = setup();
    const issued = await admin.create("local-operator", { name: "alice", models: "gpt-*", rpm: 5 });
    for (let i = 0; i < 50; i++) {
      const principal = await cache.resolve(issued.key);
      expect(principal?.name).toBe("alice");
      expect(principal?.limits).toEqual({ rpm: 5 });
    }
    expect(store.reads()).toBe(1);
    await storage.close();
  });

  test("concurrent misses for one key share a single read", async () => {
    const { storage, store, cache, admin } = setup();
    const issued = await admin.create("local-operator", { name: "alice" });
    const results = await Promise.all(Array.from({ length: 20 }, () => cache.resolve(issued.key)));
    expect(results.every((p) => p?.name === "alice")).toBe(true);
    expect(store.reads()).toBe(1);
    await storage.close();
  });

  test("malformed tokens and stored hashes never reach the store", async () => {
    const { storage, store, cache, admin } = setup();
    const issued = await admin.create("local-operator", { name: "alice" });
    const record = await storage.keys.getById(issued.id);
    for (const token of [
      record?.hash ?? "",
      `mgw_${record?.hash}`,
      "mgw_short",
      "",
      issued.key.slice(0, -1),
    ]) {
      expect(await cache.resolve(token)).toBeNull();
    }
    expect(store.reads()).toBe(0);
    await storage.close();
  });

  test("unknown keys are cached negatively for the TTL, within a size bound", async () => {
    const { storage, store, cache, clock } = setup({ negativeTtlMs: 5000, maxNegative: 2 });
    const unknown = generateApiKey().plain;
    expect(await cache.resolve(unknown)).toBeNull();
    expect(await cache.resolve(unknown)).toBeNull();
    expect(store.reads()).toBe(1);
    clock.advance(5000);
    expect(await cache.resolve(unknown)).toBeNull();
    expect(store.reads()).toBe(2);
    // Two more unknown keys push the first out of the bounded negative cache.
    await cache.resolve(generateApiKey().plain);
    await cache.resolve(generateApiKey().plain);
    await cache.resolve(unknown);
    expect(store.reads()).toBe(5);
    await storage.close();
  });

  test("an unknown key is remembered 5 s of the node's own time: a step of its wall clock (NTP, a VM resumed) neither stretches nor ends the memory", async () => {
    const storage = openSqliteStorage(tmp.file(`cache-${++files}.db`));
    const store = countingStore(storage.keys);
    const clock = wallAndElapsed();
    const cache = new KeyCache({
      store,
      now: clock.now,
      elapsed: clock.elapsed,
      refreshMs: 0,
      negativeTtlMs: 5000,
    });
    const unknown = generateApiKey().plain;
    expect(await cache.resolve(unknown)).toBeNull();
    clock.step(-600_000);
    clock.run(4_999);
    expect(await cache.resolve(unknown)).toBeNull();
    expect(store.reads()).toBe(1);
    clock.run(1);
    expect(await cache.resolve(unknown)).toBeNull();
    expect(store.reads()).toBe(2);
    clock.step(600_000);
    expect(await cache.resolve(unknown)).toBeNull();
    expect(store.reads()).toBe(2);
    await storage.close();
  });

  test("a revoke on this node takes effect on the very next request", async () => {
    const { storage, cache, admin } = setup();
    const issued = await admin.create("local-operator", { name: "alice" });
    expect(await cache.resolve(issued.key)).not.toBeNull();
    await admin.revoke("local-operator", issued.id);
    expect(await cache.resolve(issued.key)).toBeNull();
    await storage.close();
  });

  test("expiry is checked against the clock on every request", async () => {
    const { storage, cache, admin, clock } = setup();
    const issued = await admin.create("local-operator", { name: "temp", expires_in: "1h" });
    expect(await cache.resolve(issued.key)).not.toBeNull();
    clock.advance(3_600_000 - 1);
    expect(await cache.resolve(issued.key)).not.toBeNull();
    clock.advance(1);
    expect(await cache.resolve(issued.key)).toBeNull();
    await storage.close();
  });

  test("rotation: old key works through the grace window, new key at once", async () => {
    const { storage, cache, admin, clock } = setup();
    const old = await admin.create("local-operator", { name: "svc", rpm: 7 });
    expect(await cache.resolve(old.key)).not.toBeNull();
    const rotated = await admin.rotate("local-operator", old.id, { grace: "10m" });
    expect((await cache.resolve(rotated.key))?.limits).toEqual({ rpm: 7 });
    clock.advance(10 * 60_000 - 1);
    expect(await cache.resolve(old.key)).not.toBeNull();
    clock.advance(1);
    expect(await cache.resolve(old.key)).toBeNull();
    expect(await cache.resolve(rotated.key)).not.toBeNull();
    await storage.close();
  });

  test("another process's revoke and create are seen after one refresh", async () => {
    const path = tmp.file("two-process.db");
    const serve = openSqliteStorage(path);
    const cli = openSqliteStorage(path);
    const clock = manualClock();
    const cache = new KeyCache({ store: serve.keys, now: clock.now, refreshMs: 0 });
    await cache.start();
    const cliAdmin = createKeyAdmin({ store: cli.keys, now: clock.now });
    const alice = await cliAdmin.create("local-operator", { name: "alice" });
    expect(await cache.resolve(alice.key)).not.toBeNull();
    await cliAdmin.revoke("local-operator", alice.id);
    expect(await cache.resolve(alice.key)).not.toBeNull();
    await cache.refresh();
    expect(await cache.resolve(alice.key)).toBeNull();
    const carol = await cliAdmin.create("local-operator", { name: "carol" });
    expect(await cache.resolve(carol.key)).not.toBeNull();
    await cache.close();
    await cli.close();
    await serve.close();
  });

  test("a refresh asked for while one is under way reads again after it: a revoke that read came too early for is seen (a cluster node's key-change notice)", async () => {
    const path = tmp.file("notice-during-pull.db");
    const serve = openSqliteStorage(path);
    const cli = openSqliteStorage(path);
    const clock = manualClock();
    // The periodic refresh's read is answered, then held on its way back until released.
    let hold: PromiseWithResolvers<void> | null = null;
    const read = Promise.withResolvers<void>();
    const store: KeyStore = {
      ...serve.keys,
      async changedSince(cursor) {
        const changes = await serve.keys.changedSince(cursor);
        if (hold !== null) {
          read.resolve();
          await hold.promise;
        }
        return changes;
      },
    };
    const cache = new KeyCache({ store, now: clock.now, refreshMs: 0 });
    await cache.start();
    const cliAdmin = createKeyAdmin({ store: cli.keys, now: clock.now });
    const alice = await cliAdmin.create("local-operator", { name: "alice" });
    expect(await cache.resolve(alice.key)).not.toBeNull();
    await cache.refresh();
    // The periodic refresh's last read finds nothing new: it ends with that read.
    hold = Promise.withResolvers<void>();
    const periodic = cache.refresh();
    await read.promise;
    // Revoked elsewhere after the periodic refresh read the change log; its notice arrives now.
    await cliAdmin.revoke("local-operator", alice.id);
    const noticed = cache.refresh();
    const released = hold;
    hold = null;
    released.resolve();
    await Promise.all([periodic, noticed]);
    expect(await cache.resolve(alice.key)).toBeNull();
    await cache.close();
    await cli.close();
    await serve.close();
  });

  test("a key created elsewhere after a failed attempt works after refresh, not after the TTL", async () => {
    const path = tmp.file("negative-then-create.db");
    const serve = openSqliteStorage(path);
    const cli = openSqliteStorage(path);
    const clock = manualClock();
    const cache = new KeyCache({ store: serve.keys, now: clock.now, refreshMs: 0, negativeTtlMs: 60_000 });
    await cache.start();
    const key = generateApiKey();
    expect(await cache.resolve(key.plain)).toBeNull();
    await cli.keys.create(
      keyRecord({
        id: "key_late",
        hash: key.hash,
        prefix: key.prefix,
        last4: key.last4,
        name: "late",
        createdAt: clock.now(),
      }),
    );
    expect(await cache.resolve(key.plain)).toBeNull();
    await cache.refresh();
    expect((await cache.resolve(key.plain))?.name).toBe("late");
    await cache.close();
    await cli.close();
    await serve.close();
  });

  test("known: a cached valid key's caller, without a store read or a last-used time; else undefined", async () => {
    const { storage, store, cache, admin, clock } = setup();
    const issued = await admin.create("local-operator", { name: "alice", expires_in: "1h" });
    // Not loaded yet: undefined, and the store is not asked.
    expect(cache.known(issued.key)).toBeUndefined();
    expect(cache.known(generateApiKey().plain)).toBeUndefined();
    expect(cache.known("not a key")).toBeUndefined();
    expect(store.reads()).toBe(0);
    await cache.resolve(issued.key);
    await cache.flush();
    const used = (await storage.keys.getById(issued.id))?.lastUsedAt;
    clock.advance(1000);
    expect(cache.known(issued.key)?.name).toBe("alice");
    expect(store.reads()).toBe(1);
    await cache.flush();
    expect((await storage.keys.getById(issued.id))?.lastUsedAt).toBe(used ?? -1);
    clock.advance(3_600_000);
    expect(cache.known(issued.key)).toBeUndefined();
    await storage.close();
  });

  test("last_used_at is written in batches, not per request", async () => {
    const { storage, cache, admin, clock } = setup();
    const issued = await admin.create("local-operator", { name: "alice" });
    for (let i = 0; i < 10; i++) {
      clock.advance(1000);
      await cache.resolve(issued.key);
    }
    expect((await storage.keys.getById(issued.id))?.lastUsedAt).toBeNull();
    await cache.flush();
    expect((await storage.keys.getById(issued.id))?.lastUsedAt).toBe(clock.now());
    await storage.close();
  });
});
