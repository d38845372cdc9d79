import { expect, test } from "bun:test";
import { recordingLogger } from "../testing/recording-logger.ts";
import { ensureBootstrapAdmin } from "./bootstrap-admin.ts";
import { keyAdminFixture } from "./key-admin-fixture.ts";
import { KeyCache } from "./key-cache.ts";

// The bootstrap admin key while it is handed over, and what a start does with one left pending or
// abandoned, on a real SQLite store.

const { freshStorage } = keyAdminFixture();
const START = Date.parse("2030-01-01T00:00:00Z");

test("while it is handed over the key admits nobody, even on a node whose clock lags the one that made it", async () => {
  const storage = freshStorage();
  // Another node's clock, five seconds behind this one's.
  const lagging = new KeyCache({ store: storage.keys, now: () => START - 5_000 });
  let admittedWhileHanded: unknown = "not asked";
  await ensureBootstrapAdmin(
    storage.keys,
    async (issued) => {
      admittedWhileHanded = await lagging.resolve(issued.key);
    },
    { now: () => START },
  );
  // Before, it was inserted expiring at its creation: valid to any clock behind that.
  expect(admittedWhileHanded).toBeNull();
  await lagging.close();
  await storage.close();
});

test("a key handed over but never made valid (the store failed after) is revoked and replaced by a start past the hand-over bound, not by one within it", async () => {
  const storage = freshStorage();
  let clock = START;
  const now = () => clock;
  const failingAfterHanding = {
    ...storage.keys,
    setExpiresAt: () => Promise.reject(new Error("storage_unavailable")),
  };
  let printed = "";
  const failed = await ensureBootstrapAdmin(
    failingAfterHanding,
    (issued) => {
      printed = issued.key;
    },
    { now },
  ).then(
    () => null,
    (error: unknown) => error,
  );
  expect((failed as Error).message).toBe("storage_unavailable");
  expect(printed).not.toBe("");
  const handed: string[] = [];
  const startAt = async (at: number) => {
    clock = at;
    await ensureBootstrapAdmin(storage.keys, (issued) => void handed.push(issued.key), { now });
  };
  // Within the bound it may be another node's hand-over in flight: left alone.
  await startAt(START + 30_000);
  expect(handed).toEqual([]);
  // Past it: before, the unrevoked key was not counted abandoned, no key was made, and the printed
  // one (never made valid) answered 401: the operator locked out.
  await startAt(START + 61_000);
  expect(handed).toHaveLength(1);
  const cache = new KeyCache({ store: storage.keys, now });
  expect(await cache.resolve(handed[0] ?? "")).not.toBeNull();
  expect(await cache.resolve(printed)).toBeNull();
  const [fresh, stale] = await storage.keys.findByName("bootstrap-admin");
  expect(fresh?.revokedAt).toBeNull();
  expect(stale?.revokedAt).toBe(START + 61_000);
  // A key was handed over and made valid: later starts make none.
  await startAt(START + 200_000);
  expect(handed).toHaveLength(1);
  await cache.close();
  await storage.close();
});

test("a revoke that fails, of a key its receiver refused, is logged, and the receiver's error still fails the start", async () => {
  const storage = freshStorage();
  const { logger, lines } = recordingLogger();
  const failed = await ensureBootstrapAdmin(
    { ...storage.keys, revoke: () => Promise.reject(new Error("storage_unavailable")) },
    () => {
      throw new Error("vault down");
    },
    { now: () => START, logger },
  ).then(
    () => null,
    (error: unknown) => error,
  );
  expect((failed as Error).message).toBe("vault down");
  // Before, the failed revoke was swallowed without a word.
  expect(lines.map((line) => `${line.level}: ${line.message}`)).toEqual([
    "warn: could not revoke the bootstrap admin key that was never handed over (it admits nobody; the next start replaces it): storage_unavailable",
  ]);
  await storage.close();
});

test("two starts recovering at once from an abandoned key make one key between them", async () => {
  const storage = freshStorage();
  await ensureBootstrapAdmin(
    storage.keys,
    () => {
      throw new Error("vault down");
    },
    { now: () => START },
  ).catch(() => {});
  const handed: string[] = [];
  const recover = () =>
    ensureBootstrapAdmin(storage.keys, (issued) => void handed.push(issued.key), {
      now: () => START + 1_000,
    });
  await Promise.all([recover(), recover()]);
  // Before, with abandoned keys the insert was a plain create: each start made and handed one.
  expect(handed).toHaveLength(1);
  expect((await storage.keys.list({ includeRevoked: false })).length).toBe(1);
  await storage.close();
});

test("a hand-over slower than the bound, whose key another start took for abandoned meanwhile, fails its start: its key admits nobody", async () => {
  const storage = freshStorage();
  const handed: string[] = [];
  const failed = await ensureBootstrapAdmin(
    storage.keys,
    async (issued) => {
      handed.push(issued.key);
      // Another node starts while this receiver is still busy, past the hand-over bound.
      await ensureBootstrapAdmin(storage.keys, (other) => void handed.push(other.key), {
        now: () => START + 61_000,
      });
    },
    { now: () => START },
  ).then(
    () => null,
    (error: unknown) => error,
  );
  // Before, the start succeeded with the key it had handed over revoked, and nothing said so.
  expect(handed).toHaveLength(2);
  expect((failed as Error).message).toContain("another start");
  const cache = new KeyCache({ store: storage.keys, now: () => START + 62_000 });
  expect(await cache.resolve(handed[0] as string)).toBeNull();
  expect(await cache.resolve(handed[1] as string)).not.toBeNull();
  await cache.close();
  await storage.close();
});
