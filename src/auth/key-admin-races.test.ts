import { afterAll, describe, expect, test } from "bun:test";
import { GatewayError } from "../core/gateway-error.ts";
import { openSqliteStorage } from "../storage/sqlite/sqlite-storage.ts";
import { tempDir } from "../storage/sqlite/test-helpers.ts";
import type { KeyStore, Storage } from "../storage/storage.ts";
import { createKeyAdmin, type KeyAdmin } from "./key-admin.ts";
import type { Principal } from "./principal.ts";
import { manualClock } from "./test-support.ts";

// Two admins at once on one key: each change is made between the other's read and its write, by
// a store that runs the other admin's whole operation at that point of this one's.

const tmp = tempDir();
afterAll(tmp.cleanup);
let files = 0;

/** Where in this admin's operation the other admin's lands: before a write, or before or after a key is stored. */
type Landing = "before setLimits" | "before revoke" | "before create" | "after create";

/** Two admins on one store: `racing`'s first call at `landing` runs `meanwhile(other)` there. */
function twoAdmins(landing: Landing, meanwhile: (other: KeyAdmin) => Promise<unknown>) {
  const storage = openSqliteStorage(tmp.file(`races-${++files}.db`));
  const clock = manualClock(Date.parse("2030-01-01T00:00:00Z"));
  const other = createKeyAdmin({ store: storage.keys, now: clock.now });
  let armed = false;
  const land = async () => {
    if (!armed) return;
    armed = false;
    await meanwhile(other);
  };
  const keys = storage.keys;
  const store: KeyStore = {
    ...keys,
    async setLimits(id, limits, asRead) {
      if (landing === "before setLimits") await land();
      return (await keys.setLimits?.(id, limits, asRead)) ?? null;
    },
    async revoke(id, at) {
      if (landing === "before revoke") await land();
      return keys.revoke(id, at);
    },
    async create(record) {
      if (landing === "before create") await land();
      await keys.create(record);
      if (landing === "after create") await land();
    },
  };
  const racing = createKeyAdmin({ store, now: clock.now });
  /** From here on, the next call at `landing` runs the other admin's operation. */
  const arm = () => {
    armed = true;
  };
  return { storage, clock, other, racing, arm };
}

async function failure(promise: Promise<unknown>): Promise<GatewayError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GatewayError);
  return error as GatewayError;
}

const limitsOf = async (storage: Storage, id: string) => {
  const key = await storage.keys.getById(id);
  return { models: key?.models, rpm: key?.rpm, tpm: key?.tpm, budgetUsd: key?.budgetUsd };
};

describe("key admin, two admins at once", () => {
  test("two changes of different limits of one key keep both (keys update alice --rpm 10 beside --tpm 5000)", async () => {
    const { storage, racing, arm } = twoAdmins("before setLimits", (other) =>
      other.setLimits("local-operator", "alice", { tpm: 5000 }),
    );
    const key = await racing.create("local-operator", { name: "alice", models: "gpt-*", rpm: 5, tpm: 1000 });
    arm();
    const changed = await racing.setLimits("local-operator", "alice", { rpm: 10 });
    expect(changed).toMatchObject({ id: key.id, rpm: 10, tpm: 5000, models: ["gpt-*"] });
    expect(await limitsOf(storage, key.id)).toEqual({
      models: ["gpt-*"],
      rpm: 10,
      tpm: 5000,
      budgetUsd: null,
    });
    await storage.close();
  });

  test("a change applied over another admin's is checked as the key it makes: a narrow admin's refused over a widened key", async () => {
    const { storage, racing, arm } = twoAdmins("before setLimits", (other) =>
      other.setLimits("local-operator", "inner", { models: "*" }),
    );
    const narrow: Principal = {
      keyId: "key_n",
      name: "narrow",
      tenant: "default",
      role: "admin",
      models: ["gpt-*"],
      limits: { budgetUsd: 5 },
      via: "key",
    };
    const inner = await racing.create(narrow, { name: "inner", models: "gpt-4o", budget_usd: 1 });
    arm();
    const error = await failure(racing.setLimits(narrow, inner.id, { budget_usd: 2 }));
    expect([error.status, error.message]).toEqual([
      403,
      "this admin key may not change the limits of a key wider than itself: models * are outside this key's own models",
    ]);
    expect(await limitsOf(storage, inner.id)).toEqual({ models: ["*"], rpm: null, tpm: null, budgetUsd: 1 });
    await storage.close();
  });

  test("a limits change landing on a rotating key between its copy and its end is the new key's too", async () => {
    const { storage, racing, other, arm } = twoAdmins("after create", (other) =>
      other.setLimits("local-operator", old.id, { rpm: 10, budget_usd: 3 }),
    );
    const old = await other.create("local-operator", { name: "svc", rpm: 5, tpm: 1000 });
    arm();
    const rotated = await racing.rotate("local-operator", "svc", { grace: "1h" });
    expect(rotated).toMatchObject({ rpm: 10, tpm: 1000, budget_usd: 3 });
    expect(await limitsOf(storage, rotated.id)).toEqual(await limitsOf(storage, old.id));
    expect(rotated.previous).toMatchObject({ id: old.id, rpm: 10, expires_at: "2030-01-01T01:00:00.000Z" });
    await storage.close();
  });

  test("a limits change read before a rotation and written after it, the old key's expiry left as it was, follows to the new key", async () => {
    // The old key ends within the grace window anyway: the rotation leaves its row as it was.
    let rotated: { id: string } | undefined;
    const { storage, racing, other, arm } = twoAdmins("before setLimits", async (other) => {
      rotated = await other.rotate("local-operator", "svc", { grace: "1h" });
    });
    const old = await other.create("local-operator", { name: "svc", rpm: 5, expires_in: "5m" });
    arm();
    const changed = await racing.setLimits("local-operator", "svc", { rpm: 10 });
    expect([changed.id, changed.rpm]).toEqual([old.id, 10]);
    expect((await storage.keys.getById(rotated?.id ?? ""))?.rpm).toBe(10);
    await storage.close();
  });

  test("two rotations of one key at once: the later to end it is refused (409), its new key revoked; the other's new key keeps no end", async () => {
    // The other's lands whole between this one's look for a successor (none yet) and its new key's store.
    let theirs: { id: string; expires_at: string | null } | undefined;
    const { storage, racing, other, arm } = twoAdmins("before create", async (other) => {
      theirs = await other.rotate("local-operator", old.id, { grace: "1h" });
    });
    const old = await other.create("local-operator", { name: "svc" });
    arm();
    const error = await failure(racing.rotate("local-operator", old.id, { grace: "1h" }));
    expect(error.status).toBe(409);
    expect(error.message).toStartWith(
      `key ${old.id} is being rotated by another request: nothing was rotated (its new key `,
    );
    expect(theirs?.expires_at).toBeNull();
    const keys = await storage.keys.findByName("svc");
    const active = new Map(keys.filter((k) => k.revokedAt === null).map((k) => [k.id, k.expiresAt]));
    expect(active).toEqual(
      new Map([
        [old.id, Date.parse("2030-01-01T01:00:00Z")],
        [theirs?.id ?? "their new key", null],
      ]),
    );
    await storage.close();
  });

  test("two rotations of a key already ending inside the grace window: the other's end, which moves nothing, still refuses this one (409)", async () => {
    const { storage, racing, other, arm } = twoAdmins("before setLimits", (other) =>
      other.rotate("local-operator", old.id, { grace: "1h" }),
    );
    const old = await other.create("local-operator", { name: "svc", expires_in: "5m" });
    arm();
    expect((await failure(racing.rotate("local-operator", old.id, { grace: "1h" }))).status).toBe(409);
    const keys = await storage.keys.findByName("svc");
    expect(keys.filter((k) => k.revokedAt === null)).toHaveLength(2);
    await storage.close();
  });

  test("lifting the expiry of a key a rotation ended meanwhile, its row left as it was: refused (400), the old key still ends", async () => {
    let rotated: { id: string } | undefined;
    const { storage, racing, other, arm } = twoAdmins("before setLimits", async (other) => {
      rotated = await other.rotate("local-operator", "svc", { grace: "1h" });
    });
    const old = await other.create("local-operator", { name: "svc", expires_in: "5m" });
    arm();
    const error = await failure(racing.setLimits("local-operator", "svc", { expires_at: null }));
    expect([error.status, error.param, error.message]).toEqual([
      400,
      "expires_at",
      `key ${old.id} was rotated (key ${rotated?.id} replaces it): its expiry may be shortened, not lengthened or lifted; change the new key's instead`,
    ]);
    expect((await storage.keys.getById(old.id))?.expiresAt).toBe(Date.parse("2030-01-01T00:05:00Z"));
    await storage.close();
  });

  test("a rotation given up leaves no successor behind: the old key's expiry may be lengthened again", async () => {
    const narrow: Principal = {
      keyId: "key_n",
      name: "narrow",
      tenant: "default",
      role: "admin",
      models: ["gpt-*"],
      limits: {},
      via: "key",
    };
    // A wider admin widens the key while the narrow one rotates it: the rotation gives up (403).
    const { storage, racing, other, arm } = twoAdmins("after create", (other) =>
      other.setLimits("local-operator", old.id, { models: "*" }),
    );
    const old = await other.create("local-operator", { name: "svc", models: "gpt-4o", expires_in: "1d" });
    arm();
    expect((await failure(racing.rotate(narrow, "svc", { grace: "1h" }))).status).toBe(403);
    const lengthened = await other.setLimits("local-operator", "svc", { expires_in: "30d" });
    expect([lengthened.id, lengthened.expires_at]).toEqual([old.id, "2030-01-31T00:00:00.000Z"]);
    await storage.close();
  });

  test("a revoke landing while a key rotates: nothing rotated (409), the new key revoked with it", async () => {
    const { storage, racing, other, arm } = twoAdmins("after create", (other) =>
      other.revoke("local-operator", old.id),
    );
    const old = await other.create("local-operator", { name: "svc" });
    arm();
    const error = await failure(racing.rotate("local-operator", "svc", { grace: "1h" }));
    expect(error.status).toBe(409);
    expect(error.message).toStartWith(
      `key ${old.id} was revoked or expired while it was being rotated: nothing was rotated`,
    );
    const keys = await storage.keys.findByName("svc");
    expect(keys.map((k) => k.revokedAt !== null)).toEqual([true, true]);
    await storage.close();
  });

  test("a revoke by name racing a rotation revokes the key the rotation issued too", async () => {
    let rotated: { id: string } | undefined;
    const { storage, racing, other, arm } = twoAdmins("before revoke", async (other) => {
      rotated = await other.rotate("local-operator", "svc", { grace: "1h" });
    });
    const old = await other.create("local-operator", { name: "svc" });
    arm();
    const revoked = await racing.revoke("local-operator", "svc");
    expect(revoked.revoked.map((k) => [k.id, k.status])).toEqual([
      [rotated?.id ?? "the rotation's key", "revoked"],
      [old.id, "revoked"],
    ]);
    expect(await other.list("local-operator")).toEqual([]);
    await storage.close();
  });
});
