import { describe, expect, test } from "bun:test";
import { GatewayError } from "../core/gateway-error.ts";
import type { KeyStore } from "../storage/storage.ts";
import { keyRecord } from "../testing/key-record.ts";
import { hashApiKey } from "./api-key.ts";
import { ensureBootstrapAdmin } from "./bootstrap-admin.ts";
import { createKeyAdmin, type IssuedKey } from "./key-admin.ts";
import { failure, keyAdminFixture } from "./key-admin-fixture.ts";

/** `ensureBootstrapAdmin` on `store`: the key it handed over, or null when it handed none. */
async function bootstrapOn(store: KeyStore): Promise<IssuedKey | null> {
  let handed: IssuedKey | null = null;
  await ensureBootstrapAdmin(store, (issued) => {
    handed = issued;
  });
  return handed;
}

// Creating keys and reading them: what is stored and shown, the input refused (names, numbers,
// lifetimes, tenants), and the bootstrap admin key. Rotation and revocation: key-admin-rotate-
// revoke.test.ts; who may manage which keys, and limits changes: key-admin-reach.test.ts.
const { setup, freshStorage } = keyAdminFixture();

describe("key admin", () => {
  test("create returns the plain key once; only its hash is stored", async () => {
    const { storage, admin, changes } = setup();
    const issued = await admin.create("local-operator", {
      name: "alice",
      role: "user",
      models: "gpt-*,llama-*",
      rpm: "60",
      tpm: 10000,
      budget_usd: "2.5",
      expires_in: "30d",
    });
    expect(issued).toMatchObject({
      name: "alice",
      tenant: "default",
      role: "user",
      models: ["gpt-*", "llama-*"],
      rpm: 60,
      tpm: 10000,
      budget_usd: 2.5,
      status: "active",
      expires_at: "2030-01-31T00:00:00.000Z",
      created_at: "2030-01-01T00:00:00.000Z",
      last_used_at: null,
      revoked_at: null,
    });
    expect(issued.key_preview).toBe(`${issued.key.slice(0, 8)}…${issued.key.slice(-4)}`);
    expect(changes).toEqual([issued.id]);
    const stored = await storage.keys.getById(issued.id);
    expect(stored?.hash).toBe(hashApiKey(issued.key));
    expect(JSON.stringify(stored)).not.toContain(issued.key);
    await storage.close();
  });

  test("a name spelt like a caller's id (a JWT subject's jwt:…, a key's key_…) is refused, 400 naming name; a key named so before keeps working", async () => {
    const { storage, admin } = setup();
    for (const name of ["jwt:default:ceo", "JWT:default:ceo", " key_AbCdEf", "Key_x"]) {
      const error = await failure(admin.create("local-operator", { name }));
      expect([error.status, error.param, error.message]).toEqual([
        400,
        "name",
        'name: may not start with "jwt:" or "key_": it would read as a JWT subject\'s or a key\'s id',
      ]);
    }
    expect(await storage.keys.count()).toBe(0);
    // Only the start: such words inside a name read as nobody's id.
    expect((await admin.create("local-operator", { name: "svc-jwt:key_" })).name).toBe("svc-jwt:key_");
    // One stored before the rule (none is likely) is rotated and changed as any other.
    await storage.keys.create({
      ...keyRecord({ id: "key_old", name: "jwt:default:ceo" }),
      createdAt: Date.parse("2030-01-01T00:00:00Z"),
    });
    const rotated = await admin.rotate("local-operator", "jwt:default:ceo", { grace: "1h" });
    expect(rotated.name).toBe("jwt:default:ceo");
    expect((await admin.setLimits("local-operator", rotated.id, { rpm: 5 })).rpm).toBe(5);
    await storage.close();
  });

  test("list and show never carry a hash or a plain key", async () => {
    const { storage, admin } = setup();
    const issued = await admin.create("local-operator", { name: "alice" });
    const record = await storage.keys.getById(issued.id);
    const out = JSON.stringify([
      await admin.list("local-operator"),
      await admin.show("local-operator", "alice"),
    ]);
    expect(out).not.toContain(issued.key);
    expect(out).not.toContain(record?.hash ?? "unreachable");
    expect(out).not.toContain('"key"');
    expect((await admin.show("local-operator", issued.id)).name).toBe("alice");
    await storage.close();
  });

  test("bad input is a 400 naming the field", async () => {
    const { storage, admin } = setup();
    const cases: Array<[unknown, string]> = [
      [{}, "name"],
      [{ name: "a", role: "root" }, "role"],
      [{ name: "a", rpm: 0 }, "rpm"],
      [{ name: "a", rpm: "ten" }, "rpm"],
      [{ name: "a", models: "" }, "models"],
      [{ name: "a", expires_in: "soon" }, "expires_in"],
      // A key born expired is refused, not issued.
      [{ name: "a", expires_in: "0s" }, "expires_in"],
      [{ name: "a", budget_usd: 0 }, "budget_usd"],
      [{ name: "a", expires_in: "1d", expires_at: "2031-01-01T00:00:00Z" }, "expires_in"],
      [{ name: "a", hash: "abc" }, "hash"],
    ];
    for (const [input, param] of cases) {
      const error = await failure(admin.create("local-operator", input));
      expect([error.status, error.param, error.message.startsWith(`${param}:`)]).toEqual([400, param, true]);
    }
    // Zero limits say what to do instead, not "expected a whole number".
    expect((await failure(admin.create("local-operator", { name: "a", rpm: 0 }))).message).toContain(
      "leave it out for no limit",
    );
    await storage.close();
  });

  test("a field no input reads is a 400 naming it, on create, a change of limits and a rotation; nothing is written", async () => {
    const { storage, admin } = setup();
    const unknown = "unknown: nothing of that name is read here";
    const create = await failure(admin.create("local-operator", { name: "a", budget: 5 }));
    expect([create.status, create.param, create.message]).toEqual([400, "budget", `budget: ${unknown}`]);
    const key = await admin.create("local-operator", { name: "a" });
    const limits = await failure(admin.setLimits("local-operator", key.id, { rpm: 5, tmp: 9 }));
    expect([limits.status, limits.param, limits.message]).toEqual([400, "tmp", `tmp: ${unknown}`]);
    const rotate = await failure(admin.rotate("local-operator", key.id, { grace: "1h", grace_period: "2h" }));
    expect([rotate.status, rotate.param, rotate.message]).toEqual([
      400,
      "grace_period",
      `grace_period: ${unknown}`,
    ]);
    expect((await admin.list("local-operator")).map((k) => [k.id, k.rpm])).toEqual([[key.id, null]]);
    await storage.close();
  });

  test("an expires_at without Z or an offset (a date alone, a local time) is a 400 saying which forms are taken, on create and on a change", async () => {
    const { storage, admin } = setup();
    const words =
      "expires_at: expected an ISO 8601 date-time with seconds and Z or an offset ±HH:MM (2031-01-31T00:00:00Z, 2031-01-31T09:00:00+09:00); a time without Z or an offset is refused: it would be read in some machine's zone";
    // An offset without its colon, or no seconds, are refused too (the CLI sends them with Z), in
    // words that say what is missing: they said the time had no zone.
    for (const expires_at of [
      "2031-01-01",
      "2031-01-01T00:00:00",
      "2031-01-01 00:00:00Z",
      "next year",
      "2031-01-01T00:00:00+0000",
    ]) {
      const error = await failure(admin.create("local-operator", { name: "a", expires_at }));
      expect([error.status, error.param, error.message]).toEqual([400, "expires_at", words]);
    }
    const key = await admin.create("local-operator", { name: "a", expires_at: "2031-01-01T09:00:00+09:00" });
    expect(key.expires_at).toBe("2031-01-01T00:00:00.000Z");
    const change = await failure(
      admin.setLimits("local-operator", key.id, { expires_at: "2032-01-01T00:00" }),
    );
    expect([change.status, change.message]).toEqual([400, words]);
    await storage.close();
  });

  test("an rpm past 2147483647 (PostgreSQL's INTEGER column) is a 400 naming rpm, on create and on a change; tpm's column holds any", async () => {
    const { storage, admin } = setup();
    for (const rpm of [2_147_483_648, "2147483648"]) {
      const error = await failure(admin.create("local-operator", { name: "big", rpm }));
      expect([error.status, error.message]).toEqual([
        400,
        "rpm: at most 2147483647 (leave it out for no limit)",
      ]);
    }
    const issued = await admin.create("local-operator", { name: "big", rpm: 2_147_483_647, tpm: 2 ** 40 });
    expect([issued.rpm, issued.tpm]).toEqual([2_147_483_647, 2 ** 40]);
    const change = await failure(admin.setLimits("local-operator", issued.id, { rpm: 2_147_483_648 }));
    expect([change.status, change.message]).toEqual([
      400,
      "rpm: at most 2147483647 (leave it out for no limit)",
    ]);
    await storage.close();
  });

  test("with tenants configured, a key's tenant must be one of them, on create and on rotate", async () => {
    const storage = freshStorage();
    let configured = ["acme", "globex"];
    const admin = createKeyAdmin({ store: storage.keys, tenants: () => configured });
    const error = await failure(admin.create("local-operator", { name: "x", tenant: "initech" }));
    expect(error.status).toBe(400);
    expect(error.param).toBe("tenant");
    expect(error.message).toBe(
      'tenant: "initech" is not a configured tenant; known tenants: acme, globex (or "default" for a key outside every tenant)',
    );
    // No tenant given: the key stays outside every tenant, as before.
    expect((await admin.create("local-operator", { name: "plain" })).tenant).toBe("default");
    await admin.create("local-operator", { name: "svc", tenant: "globex" });
    // The tenant was dropped from the config: rotating the key would issue one for nobody's tenant.
    configured = ["acme"];
    const rotate = await failure(admin.rotate("local-operator", "svc"));
    expect(rotate.status).toBe(400);
    expect(rotate.message).toContain('"globex" is not a configured tenant; known tenants: acme');
    await storage.close();
  });

  test("without tenants configured, a key's tenant is a free label", async () => {
    const storage = freshStorage();
    const admin = createKeyAdmin({ store: storage.keys, tenants: () => [] });
    expect((await admin.create("local-operator", { name: "x", tenant: "anything" })).tenant).toBe("anything");
    expect((await admin.rotate("local-operator", "x")).tenant).toBe("anything");
    await storage.close();
  });

  test("a lifetime, expiry or grace past 100 years is a 400 naming its field, nothing written; JavaScript's dates end in year 275760", async () => {
    const { storage, admin } = setup();
    const tooLong = [
      [{ name: "poison", expires_in: "99999999d" }, "expires_in: at most 36500d (100 years)"],
      [{ name: "poison", expires_in: "36501d" }, "expires_in: at most 36500d (100 years)"],
      [
        { name: "poison", expires_at: "9999-12-31T00:00:00Z" },
        "expires_at: is more than 36500d (100 years) away; leave it out for a key that never expires",
      ],
    ] as const;
    for (const [input, message] of tooLong) {
      const error = await failure(admin.create("local-operator", input));
      expect([error.status, error.message, error.param]).toEqual([400, message, message.split(":")[0]]);
    }
    expect(await admin.list("local-operator", { includeRevoked: true })).toEqual([]);
    const key = await admin.create("local-operator", { name: "svc", expires_in: "36500d" });
    const limits = await failure(admin.setLimits("local-operator", key.id, { expires_in: "99999999d" }));
    expect([limits.status, limits.message]).toEqual([400, "expires_in: at most 36500d (100 years)"]);
    const rotate = await failure(admin.rotate("local-operator", key.id, { grace: "99999999d" }));
    expect([rotate.status, rotate.message]).toEqual([400, "grace: at most 36500d (100 years)"]);
    expect((await admin.list("local-operator")).map((k) => [k.id, k.expires_at])).toEqual([
      [key.id, key.expires_at],
    ]);
    await storage.close();
  });

  test("a key an older release stored with an expiry past every date is listed, shown, rotated and revoked", async () => {
    const { storage, admin, clock } = setup();
    // What `expires_in: 99999999d` stored before lifetimes were bounded: no Date can hold it.
    await storage.keys.create(
      keyRecord({ id: "key_poison", name: "poison", expiresAt: clock.now() + 99_999_999 * 86_400_000 }),
    );
    const fine = await admin.create("local-operator", { name: "fine" });
    const listed = await admin.list("local-operator");
    expect(listed.map((k) => [k.id, k.status, k.expires_at])).toEqual([
      [fine.id, "active", null],
      ["key_poison", "active", "+275760-09-13T00:00:00.000Z"],
    ]);
    expect((await admin.show("local-operator", "poison")).expires_at).toBe("+275760-09-13T00:00:00.000Z");
    const rotated = await admin.rotate("local-operator", "poison", { grace: "1h" });
    expect(rotated.previous.expires_at).toBe(new Date(clock.now() + 3_600_000).toISOString());
    // The new key lives no longer than a key may now: 100 years.
    expect(rotated.expires_at).toBe(new Date(clock.now() + 36_500 * 86_400_000).toISOString());
    // A key that never expires still hands that on.
    expect((await admin.rotate("local-operator", fine.id, { grace: "1h" })).expires_at).toBeNull();
    const revoked = await admin.revoke("local-operator", "poison");
    expect(revoked.revoked.map((k) => k.id).sort()).toEqual([rotated.id, "key_poison"].sort());
    await storage.close();
  });

  test("an expires_at already past is a 400, judged by the key admin's clock, to create a key or change its limits", async () => {
    const { storage, admin, clock } = setup();
    // The clock is at 2030: a 2029 expiry is past for it, whatever the machine's date.
    for (const at of ["2020-01-01T00:00:00Z", "2029-12-31T23:59:59Z", new Date(clock.now()).toISOString()]) {
      const error = await failure(admin.create("local-operator", { name: "born-dead", expires_at: at }));
      expect([error.status, error.message, error.param]).toEqual([
        400,
        "expires_at: is in the past: the key would be born expired",
        "expires_at",
      ]);
    }
    const later = await admin.create("local-operator", { name: "ok", expires_at: "2030-01-01T00:00:01Z" });
    expect(later.status).toBe("active");
    const changed = await failure(
      admin.setLimits("local-operator", later.id, { expires_at: "2029-12-31T23:59:59Z" }),
    );
    expect([changed.status, changed.message, changed.param]).toEqual([
      400,
      "expires_at: is in the past: the key would be born expired",
      "expires_at",
    ]);
    expect((await admin.show("local-operator", later.id)).expires_at).toBe("2030-01-01T00:00:01.000Z");
    expect(await storage.keys.count()).toBe(1);
    await storage.close();
  });

  test("bootstrap admin: created once on an empty store", async () => {
    const { storage } = setup();
    const first = await bootstrapOn(storage.keys);
    expect(first).toMatchObject({ name: "bootstrap-admin", role: "admin", models: ["*"] });
    expect(first?.key.startsWith("mgw_")).toBe(true);
    expect(await bootstrapOn(storage.keys)).toBeNull();
    expect(await storage.keys.count()).toBe(1);
    await storage.close();
  });

  test("bootstrap admin: an embedder's key store without createIfEmpty still gets its key", async () => {
    const { storage } = setup();
    const { createIfEmpty: _, ...older } = storage.keys;
    expect(await bootstrapOn(older)).toMatchObject({ name: "bootstrap-admin", role: "admin" });
    expect(await bootstrapOn(older)).toBeNull();
    expect(await storage.keys.count()).toBe(1);
    await storage.close();
  });

  test("bootstrap admin: a key the database never confirmed but stored is handed out; one it did not store fails the start", async () => {
    const { storage } = setup();
    const unconfirmed = new GatewayError({
      status: 504,
      code: "storage_outcome_unknown",
      message: "unconfirmed",
    });
    let lands = true;
    const store: KeyStore = {
      ...storage.keys,
      async createIfEmpty(record) {
        if (lands) await storage.keys.createIfEmpty?.(record);
        throw unconfirmed;
      },
    };
    lands = false;
    expect(await failure(bootstrapOn(store))).toBe(unconfirmed);
    expect(await storage.keys.count()).toBe(0);
    lands = true;
    const issued = await bootstrapOn(store);
    expect(issued).toMatchObject({ name: "bootstrap-admin", role: "admin" });
    expect((await storage.keys.list()).map((k) => k.id)).toEqual([issued?.id as string]);
    await storage.close();
  });

  test("bootstrap admin: several started at once on an empty store create one key, returned to one of them", async () => {
    const { storage } = setup();
    const issued = await Promise.all(Array.from({ length: 3 }, () => bootstrapOn(storage.keys)));
    expect(issued.filter((k) => k !== null).length).toBe(1);
    expect(await storage.keys.count()).toBe(1);
    await storage.close();
  });
});
