import { afterAll, describe, expect, test } from "bun:test";
import { GatewayError } from "../core/gateway-error.ts";
import type { KeyRecord } from "../storage/key-record.ts";
import { openSqliteStorage } from "../storage/sqlite/sqlite-storage.ts";
import { tempDir } from "../storage/sqlite/test-helpers.ts";
import type { KeyStore } from "../storage/storage.ts";
import { keyRecord } from "../testing/key-record.ts";
import { hashApiKey } from "./api-key.ts";
import { createKeyAdmin, ensureBootstrapAdmin } from "./key-admin.ts";
import { type Principal, principalFromKey } from "./principal.ts";
import { manualClock } from "./test-support.ts";

const tmp = tempDir();
afterAll(tmp.cleanup);
let files = 0;

function setup() {
  const storage = openSqliteStorage(tmp.file(`admin-${++files}.db`));
  const clock = manualClock(Date.parse("2030-01-01T00:00:00Z"));
  const changes: string[] = [];
  const admin = createKeyAdmin({ store: storage.keys, now: clock.now, onChange: (r) => changes.push(r.id) });
  return { storage, clock, admin, changes };
}

async function failure(promise: Promise<unknown>): Promise<GatewayError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GatewayError);
  return error as GatewayError;
}

const user: Principal = {
  keyId: "key_u",
  name: "u",
  tenant: "default",
  role: "user",
  models: ["*"],
  limits: {},
  via: "key",
};

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
      [{ name: "a", hash: "abc" }, ""],
    ];
    for (const [input, param] of cases) {
      const error = await failure(admin.create("local-operator", input));
      expect(error.status).toBe(400);
      if (param) expect(error.message.startsWith(`${param}:`)).toBe(true);
    }
    // Zero limits say what to do instead, not "expected a whole number".
    expect((await failure(admin.create("local-operator", { name: "a", rpm: 0 }))).message).toContain(
      "leave it out for no limit",
    );
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

  test("rotate: same settings, new key, old key expires after the grace window", async () => {
    const { storage, admin, clock, changes } = setup();
    const old = await admin.create("local-operator", {
      name: "svc",
      models: ["gpt-*"],
      rpm: 5,
      tenant: "acme",
    });
    clock.advance(1000);
    const rotated = await admin.rotate("local-operator", "svc", { grace: "15m" });
    expect(rotated.key).not.toBe(old.key);
    expect(rotated).toMatchObject({
      name: "svc",
      tenant: "acme",
      models: ["gpt-*"],
      rpm: 5,
      status: "active",
    });
    expect(rotated.previous.id).toBe(old.id);
    expect(rotated.previous.expires_at).toBe(new Date(clock.now() + 15 * 60_000).toISOString());
    expect(changes).toEqual([old.id, rotated.id, old.id]);
    // Two active keys now share the name: shown by it, the newest (the one rotate would pick).
    expect((await admin.show("local-operator", "svc")).id).toBe(rotated.id);
    const defaultGrace = await admin.rotate("local-operator", rotated.id);
    expect(defaultGrace.previous.expires_at).toBe(new Date(clock.now() + 10 * 60_000).toISOString());
    await storage.close();
  });

  test("with tenants configured, a key's tenant must be one of them, on create and on rotate", async () => {
    const storage = openSqliteStorage(tmp.file(`admin-${++files}.db`));
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
    const storage = openSqliteStorage(tmp.file(`admin-${++files}.db`));
    const admin = createKeyAdmin({ store: storage.keys, tenants: () => [] });
    expect((await admin.create("local-operator", { name: "x", tenant: "anything" })).tenant).toBe("anything");
    expect((await admin.rotate("local-operator", "x")).tenant).toBe("anything");
    await storage.close();
  });

  test("rotation never extends an earlier expiry", async () => {
    const { storage, admin, clock } = setup();
    const old = await admin.create("local-operator", { name: "short", expires_in: "5m" });
    const rotated = await admin.rotate("local-operator", old.id, { grace: "1h" });
    expect(rotated.previous.expires_at).toBe(new Date(clock.now() + 5 * 60_000).toISOString());
    expect(rotated.expires_at).toBe(old.expires_at);
    await storage.close();
  });

  test("a key already rotated out (in its grace window) is not rotated again: its successor is named", async () => {
    const { storage, admin, clock } = setup();
    const old = await admin.create("local-operator", { name: "svc" });
    const rotated = await admin.rotate("local-operator", "svc", { grace: "10m" });
    clock.advance(1000);
    // Rotating the old key by id would issue a key that ends with the old key's grace window,
    // a second successor of one key: refused, the successor named as the one to rotate.
    const again = await failure(admin.rotate("local-operator", old.id));
    expect(again.status).toBe(409);
    expect(again.message).toBe(
      `key ${old.id} was rotated already (its new key is ${rotated.id}): rotate ${rotated.id}, or "svc" by name`,
    );
    expect((await admin.list("local-operator", { name: "svc" })).map((k) => k.id).sort()).toEqual(
      [old.id, rotated.id].sort(),
    );
    // Its successor revoked, the old key is as if never rotated: rotated again, as any key.
    await admin.revoke("local-operator", rotated.id);
    expect((await admin.rotate("local-operator", old.id)).previous.id).toBe(old.id);
    await storage.close();
  });

  test("revoke is idempotent by id; revoked keys cannot be rotated; unknown is 404", async () => {
    const { storage, admin } = setup();
    const issued = await admin.create("local-operator", { name: "gone" });
    expect((await admin.revoke("local-operator", "gone")).status).toBe("revoked");
    expect((await admin.revoke("local-operator", issued.id)).status).toBe("revoked");
    expect((await failure(admin.rotate("local-operator", "gone"))).status).toBe(404);
    expect((await failure(admin.show("local-operator", "nobody"))).status).toBe(404);
    await storage.close();
  });

  test("an unknown id or name the 404 quotes is cut at 256 characters", async () => {
    const { storage, admin } = setup();
    const long = "k".repeat(16_000);
    const cut = `"${long.slice(0, 256)}…"`;
    for (const refused of [
      admin.show("local-operator", long),
      admin.rotate("local-operator", long),
      admin.revoke("local-operator", long),
    ]) {
      const error = await failure(refused);
      expect([error.status, error.message.includes(cut), error.message.length < 400]).toEqual([
        404,
        true,
        true,
      ]);
    }
    await storage.close();
  });

  test("revoke by name in a rotation's grace window revokes every active key of that name, each listed", async () => {
    const { storage, admin, changes } = setup();
    const old = await admin.create("local-operator", { name: "svc" });
    const fresh = await admin.rotate("local-operator", "svc", { grace: "1h" });
    const other = await admin.create("local-operator", { name: "other" });
    changes.length = 0;
    const revoked = await admin.revoke("local-operator", "svc");
    // The answer is the newest key, as before, with every key revoked beside it.
    expect([revoked.id, revoked.status]).toEqual([fresh.id, "revoked"]);
    expect(revoked.revoked.map((k) => [k.id, k.status])).toEqual([
      [fresh.id, "revoked"],
      [old.id, "revoked"],
    ]);
    expect(changes.toSorted()).toEqual([fresh.id, old.id].toSorted());
    expect((await admin.list("local-operator")).map((k) => k.id)).toEqual([other.id]);
    // Nothing of the name works now; by id, a revoked key is revoked again (idempotent).
    expect((await failure(admin.revoke("local-operator", "svc"))).status).toBe(404);
    expect((await admin.revoke("local-operator", old.id)).revoked.map((k) => k.id)).toEqual([old.id]);
    await storage.close();
  });

  test("revoke by name of keys in several tenants is refused (409, naming each), nothing revoked", async () => {
    const { storage, admin } = setup();
    const acme = await admin.create("local-operator", { name: "svc", tenant: "acme" });
    const globex = await admin.create("local-operator", { name: "svc", tenant: "globex" });
    const error = await failure(admin.revoke("local-operator", "svc"));
    expect([error.status, error.message]).toEqual([
      409,
      `active keys named "svc" are in several tenants (${globex.id} in globex, ${acme.id} in acme): nothing was revoked; revoke each by id or name the tenant (--tenant / ?tenant=)`,
    ]);
    expect((await admin.list("local-operator")).length).toBe(2);
    // An admin of one tenant sees its own key of the name alone: revoked.
    const acmeAdmin: Principal = { ...user, keyId: "key_a", tenant: "acme", role: "admin" };
    expect((await admin.revoke(acmeAdmin, "svc")).revoked.map((k) => k.id)).toEqual([acme.id]);
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

  test("an admin credential ending past every date (an older release's key, a JWT's far exp) creates, rotates and revokes within its reach, and is told when it may not, never a 500", async () => {
    const { storage, admin, clock } = setup();
    const far = clock.now() + 99_999_999 * 86_400_000;
    await storage.keys.create(keyRecord({ id: "key_padm", name: "padm", role: "admin", expiresAt: far }));
    const stored = await storage.keys.getById("key_padm");
    if (!stored) throw new Error("the admin key was not stored");
    // The key as an older node wrote it mid-roll (the migration brings the rows before it within
    // dates), and a JWT's exp as far.
    const jwt: Principal = { ...principalFromKey(stored), keyId: null, via: "jwt", expiresAt: far };
    for (const actor of [principalFromKey(stored), jwt]) {
      const forever = await failure(admin.create(actor, { name: "forever" }));
      expect([forever.status, forever.message]).toEqual([
        403,
        "this admin key may not create a key wider than itself: it never expires, and this credential expires at +275760-09-13T00:00:00.000Z",
      ]);
      const bounded = await admin.create(actor, { name: "bounded", expires_in: "30d" });
      expect((await admin.revoke(actor, bounded.id)).revoked.map((k) => k.id)).toEqual([bounded.id]);
      const unbounded = await admin.create("local-operator", { name: "unbounded" });
      expect((await failure(admin.revoke(actor, unbounded.id))).status).toBe(403);
    }
    await storage.close();
  });

  test("a rotation on a key store that drops the rotation chain fails loudly: nothing rotated, its new key revoked", async () => {
    const { storage, clock } = setup();
    const keys = storage.keys;
    const dropsChain: KeyStore = Object.assign(Object.create(keys) as KeyStore, {
      create: ({ chain: _chain, ...record }: KeyRecord) => keys.create(record),
    });
    const admin = createKeyAdmin({ store: dropsChain, now: clock.now });
    const old = await admin.create("local-operator", { name: "svc" });
    const error = await failure(admin.rotate("local-operator", old.id, { grace: "1h" }));
    expect(error.status).toBe(500);
    expect(error.message).toContain("did not keep the rotation chain");
    const all = await admin.list("local-operator", { includeRevoked: true });
    expect(all.map((k) => [k.id === old.id, k.status, k.expires_at]).sort()).toEqual([
      [false, "revoked", null],
      [true, "active", null],
    ]);
    await storage.close();
  });

  test("rotate, update and show by a name whose active keys are in several tenants are refused (409, as revoke), unless the tenant is named", async () => {
    const { storage, admin } = setup();
    const acme = await admin.create("local-operator", { name: "svc", tenant: "acme" });
    const globex = await admin.create("local-operator", { name: "svc", tenant: "globex" });
    const each = `${globex.id} in globex, ${acme.id} in acme`;
    const refusals = [
      [admin.rotate("local-operator", "svc"), "nothing was rotated; rotate each by id"],
      [admin.setLimits("local-operator", "svc", { rpm: 1 }), "nothing was changed; change each by id"],
      [admin.show("local-operator", "svc"), "show each by id"],
    ] as const;
    for (const [refused, instead] of refusals) {
      const error = await failure(refused);
      expect([error.status, error.message]).toEqual([
        409,
        `active keys named "svc" are in several tenants (${each}): ${instead} or name the tenant (--tenant / ?tenant=)`,
      ]);
    }
    // Nothing was rotated or changed.
    const listed = await admin.list("local-operator");
    expect(listed.map((k) => [k.id, k.rpm]).sort()).toEqual(
      [
        [acme.id, null],
        [globex.id, null],
      ].sort(),
    );
    // The tenant named says which: that tenant's key alone.
    const rotated = await admin.rotate("local-operator", "svc", { grace: "1m" }, { tenant: "acme" });
    expect([rotated.tenant, rotated.previous.id]).toEqual(["acme", acme.id]);
    const changed = await admin.setLimits("local-operator", "svc", { rpm: 1 }, { tenant: "globex" });
    expect([changed.id, changed.rpm]).toEqual([globex.id, 1]);
    expect((await admin.show("local-operator", "svc", { tenant: "acme" })).id).toBe(rotated.id);
    // An id of another tenant than the one named is not the key meant.
    for (const refused of [
      admin.rotate("local-operator", globex.id, {}, { tenant: "acme" }),
      admin.setLimits("local-operator", globex.id, { rpm: 2 }, { tenant: "acme" }),
      admin.show("local-operator", globex.id, { tenant: "acme" }),
    ])
      expect((await failure(refused)).status).toBe(404);
    expect((await admin.show("local-operator", globex.id)).rpm).toBe(1);
    // An admin in a tenant sees its own key of the name alone: no ambiguity.
    const globexAdmin: Principal = { ...user, keyId: "key_g", tenant: "globex", role: "admin" };
    expect((await admin.rotate(globexAdmin, "svc")).previous.id).toBe(globex.id);
    await storage.close();
  });

  test("an empty tenant is none to show (as the routes read ?tenant=) and refused (400, naming tenant) by revoke, rotate and setLimits, nothing changed", async () => {
    const { storage, admin } = setup();
    const key = await admin.create("local-operator", { name: "lone", tenant: "acme" });
    expect((await admin.show("local-operator", key.id, { tenant: "" })).id).toBe(key.id);
    expect((await admin.show("local-operator", "lone", { tenant: "" })).id).toBe(key.id);
    for (const refused of [
      admin.revoke("local-operator", "lone", { tenant: "" }),
      admin.rotate("local-operator", "lone", {}, { tenant: "" }),
      admin.setLimits("local-operator", "lone", { rpm: 1 }, { tenant: "" }),
    ]) {
      const error = await failure(refused);
      expect([error.status, error.param]).toEqual([400, "tenant"]);
      expect(error.message).toStartWith("tenant is empty");
    }
    expect((await admin.list("local-operator")).map((k) => [k.id, k.status, k.rpm])).toEqual([
      [key.id, "active", null],
    ]);
    await storage.close();
  });

  test("show by a name none of whose keys is active is held to one tenant too; a revoke by a name with none active in the tenant named says that tenant", async () => {
    const { storage, admin } = setup();
    const acme = await admin.create("local-operator", { name: "old", tenant: "acme" });
    const globex = await admin.create("local-operator", { name: "old", tenant: "globex" });
    for (const key of [acme, globex]) await admin.revoke("local-operator", key.id);
    const error = await failure(admin.show("local-operator", "old"));
    expect([error.status, error.message]).toEqual([
      409,
      `keys named "old" are in several tenants (${globex.id} in globex, ${acme.id} in acme): show each by id or name the tenant (--tenant / ?tenant=)`,
    ]);
    expect((await admin.show("local-operator", "old", { tenant: "acme" })).id).toBe(acme.id);
    const none = await failure(admin.revoke("local-operator", "old", { tenant: "acme" }));
    expect([none.status, none.message]).toEqual([
      404,
      'no active key with id or name "old" in tenant "acme"',
    ]);
    await storage.close();
  });

  test("a revoked or expired key is not rotated by id either: no dead key is issued", async () => {
    const { storage, admin, clock } = setup();
    const revoked = await admin.create("local-operator", { name: "gone" });
    await admin.revoke("local-operator", revoked.id);
    const expired = await admin.create("local-operator", { name: "old", expires_in: "1h" });
    clock.advance(2 * 3600_000);
    for (const id of [revoked.id, expired.id]) {
      const error = await failure(admin.rotate("local-operator", id));
      expect([error.status, error.message]).toEqual([404, `no active key with id or name "${id}"`]);
    }
    expect(await storage.keys.count()).toBe(2);
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

  test("a non-admin can neither create, widen, list nor rotate keys", async () => {
    const { storage, admin } = setup();
    const issued = await admin.create("local-operator", { name: "u" });
    for (const attempt of [
      admin.create(user, { name: "mine", role: "admin" }),
      admin.list(user),
      admin.show(user, issued.id),
      admin.rotate(user, issued.id),
      admin.revoke(user, issued.id),
    ]) {
      const error = await failure(attempt);
      expect([error.status, error.code]).toEqual([403, "forbidden"]);
    }
    expect(await storage.keys.count()).toBe(1);
    const viaAdmin = await admin.create({ ...user, role: "admin" }, { name: "ok" });
    expect(viaAdmin.role).toBe("user");
    await storage.close();
  });

  test("a narrow admin key cannot mint, rotate or revoke beyond its own models and limits", async () => {
    const { storage, admin } = setup();
    const root = await admin.create("local-operator", { name: "root", role: "admin" });
    const narrowKey = await admin.create("local-operator", {
      name: "narrow",
      role: "admin",
      models: "gpt-4o*",
      rpm: 10,
    });
    const narrow: Principal = {
      ...user,
      keyId: narrowKey.id,
      role: "admin",
      models: ["gpt-4o*"],
      limits: { rpm: 10 },
    };
    for (const input of [
      { name: "all", models: "*", rpm: 5 },
      { name: "other", models: "claude-*", rpm: 5 },
      { name: "unlimited", models: "gpt-4o-mini" },
      { name: "faster", models: "gpt-4o-mini", rpm: 11 },
    ]) {
      const error = await failure(admin.create(narrow, input));
      expect([error.status, error.code]).toEqual([403, "forbidden"]);
    }
    for (const attempt of [admin.revoke(narrow, root.id), admin.rotate(narrow, root.id)]) {
      expect((await failure(attempt)).status).toBe(403);
    }
    expect((await admin.show("local-operator", root.id)).status).toBe("active");
    // Within its reach it works: narrower models, a lower rpm; and that key it may revoke.
    const inner = await admin.create(narrow, { name: "inner", models: "gpt-4o-mini,gpt-4o-2024*", rpm: 5 });
    expect((await admin.rotate(narrow, inner.id)).name).toBe("inner");
    expect((await admin.revoke(narrow, inner.id)).status).toBe("revoked");
    await storage.close();
  });

  test("an admin credential that expires cannot mint, rotate or revoke a key that outlives it", async () => {
    const { storage, admin, clock } = setup();
    const root = await admin.create("local-operator", { name: "root", role: "admin" });
    const lateUser = await admin.create("local-operator", { name: "late", expires_in: "30d" });
    const contractorKey = await admin.create("local-operator", {
      name: "contractor",
      role: "admin",
      expires_in: "1h",
    });
    const ends = clock.now() + 3600_000;
    const contractor: Principal = { ...user, keyId: contractorKey.id, role: "admin", expiresAt: ends };
    // A JWT's `exp` is its expiry alike.
    const token: Principal = { ...user, keyId: null, via: "jwt", role: "admin", expiresAt: ends };
    for (const actor of [contractor, token]) {
      const never = await failure(admin.create(actor, { name: "backdoor", role: "admin" }));
      expect([never.status, never.code]).toEqual([403, "forbidden"]);
      expect(never.message).toBe(
        "this admin key may not create a key wider than itself: it never expires, and this credential expires at 2030-01-01T01:00:00.000Z",
      );
      const later = await failure(admin.create(actor, { name: "backdoor", expires_in: "2h" }));
      expect(later.message).toEndWith("it expires after this credential does (2030-01-01T01:00:00.000Z)");
      for (const attempt of [
        admin.revoke(actor, root.id),
        admin.rotate(actor, root.id),
        admin.revoke(actor, lateUser.id),
        admin.setLimits(actor, root.id, { rpm: 1 }),
      ])
        expect((await failure(attempt)).status).toBe(403);
      // Within its own life it works.
      const inner = await admin.create(actor, { name: "inner", expires_at: new Date(ends).toISOString() });
      expect((await admin.rotate(actor, inner.id)).expires_at).toBe(inner.expires_at);
      expect((await failure(admin.setLimits(actor, inner.id, { expires_at: null }))).status).toBe(403);
      expect((await admin.revoke(actor, inner.id)).status).toBe("revoked");
    }
    expect((await admin.show("local-operator", root.id)).status).toBe("active");
    expect((await admin.show("local-operator", lateUser.id)).status).toBe("active");
    // A web UI session ends (its session_ttl) but its credential does not: the session's end
    // bounds how long it is signed in, not what it may grant.
    const signedIn: Principal = {
      ...user,
      keyId: root.id,
      role: "admin",
      via: "session",
      expiresAt: clock.now() + 60_000,
      credentialExpiresAt: null,
    };
    expect((await admin.create(signedIn, { name: "from-the-ui", role: "admin" })).expires_at).toBeNull();
    expect((await admin.revoke(signedIn, lateUser.id)).status).toBe("revoked");
    // Signed in with the contractor's key: bounded by that key's end, as the key itself is.
    const contractorSession: Principal = { ...signedIn, keyId: contractorKey.id, credentialExpiresAt: ends };
    expect((await failure(admin.create(contractorSession, { name: "backdoor", role: "admin" }))).status).toBe(
      403,
    );
    await storage.close();
  });

  test("an admin key in a tenant manages only its own tenant's keys; an admin outside every tenant, all", async () => {
    const storage = openSqliteStorage(tmp.file(`admin-${++files}.db`));
    const admin = createKeyAdmin({ store: storage.keys, tenants: () => ["acme", "globex"] });
    const acmeAdminKey = await admin.create("local-operator", {
      name: "acme-admin",
      role: "admin",
      tenant: "acme",
    });
    const acmeAdmin: Principal = { ...user, keyId: acmeAdminKey.id, tenant: "acme", role: "admin" };
    const globexKey = await admin.create("local-operator", { name: "svc", tenant: "globex" });
    const plainKey = await admin.create("local-operator", { name: "plain" });
    // Minting outside its tenant, into `default` or another tenant, would escape acme's bindings.
    for (const tenant of ["default", "globex"]) {
      const error = await failure(admin.create(acmeAdmin, { name: "escape", role: "admin", tenant }));
      expect([error.status, error.code]).toEqual([403, "forbidden"]);
      expect(error.message).toBe(
        `this admin key may not create a key wider than itself: its tenant is outside this key's own tenant "acme"`,
      );
    }
    for (const other of [globexKey.id, plainKey.id]) {
      for (const attempt of [
        admin.rotate(acmeAdmin, other),
        admin.revoke(acmeAdmin, other),
        admin.show(acmeAdmin, other),
        admin.setLimits(acmeAdmin, other, { rpm: 1 }),
      ]) {
        const error = await failure(attempt);
        expect(error.status).toBe(403);
        // An id learnt elsewhere does not tell whose key it is.
        expect(error.message).toEndWith(`its tenant is outside this key's own tenant "acme"`);
        expect(error.message).not.toContain("globex");
      }
    }
    // Nor whether it is still in use: a revoked key of another tenant is refused as an active one is.
    await admin.revoke("local-operator", globexKey.id);
    for (const attempt of [
      admin.rotate(acmeAdmin, globexKey.id),
      admin.revoke(acmeAdmin, globexKey.id),
      admin.show(acmeAdmin, globexKey.id),
      admin.setLimits(acmeAdmin, globexKey.id, { rpm: 1 }),
    ])
      expect((await failure(attempt)).status).toBe(403);
    // No tenant given: the key goes into the admin's own tenant.
    const minted = await admin.create(acmeAdmin, { name: "svc" });
    expect(minted.tenant).toBe("acme");
    // By name, another tenant's key of the same name neither answers nor makes the name ambiguous.
    expect((await admin.rotate(acmeAdmin, "svc", { grace: "0s" })).tenant).toBe("acme");
    expect((await admin.list(acmeAdmin, { tenant: "globex" })).map((k) => k.tenant)).toEqual([
      "acme",
      "acme",
    ]);
    expect((await admin.revoke(acmeAdmin, "svc")).tenant).toBe("acme");
    // An admin outside every tenant keeps full power.
    const rootKey = await admin.create("local-operator", { name: "root", role: "admin" });
    const root: Principal = { ...user, keyId: rootKey.id, role: "admin" };
    expect((await admin.create(root, { name: "x", tenant: "globex" })).tenant).toBe("globex");
    expect((await admin.create(root, { name: "y" })).tenant).toBe("default");
    expect((await admin.revoke(root, globexKey.id)).status).toBe("revoked");
    await storage.close();
  });

  test("rotating by name during the grace window rotates the newest key; list hides expired keys", async () => {
    const { storage, admin, clock } = setup();
    await admin.create("local-operator", { name: "svc" });
    const first = await admin.rotate("local-operator", "svc", { grace: "10m" });
    const second = await admin.rotate("local-operator", "svc", { grace: "10m" });
    expect(second.previous.id).toBe(first.id);
    clock.advance(11 * 60_000);
    const listed = await admin.list("local-operator");
    expect(listed.map((k) => k.id)).toEqual([second.id]);
    expect((await admin.list("local-operator", { includeRevoked: true })).length).toBe(3);
    await storage.close();
  });

  test("setLimits changes what is given, keeps the rest, and tells the cache", async () => {
    const { storage, admin, changes } = setup();
    const key = await admin.create("local-operator", { name: "svc", models: "gpt-*", rpm: 5, budget_usd: 1 });
    const raised = await admin.setLimits("local-operator", "svc", { budget_usd: "10", tpm: 1000 });
    expect(raised).toMatchObject({ id: key.id, models: ["gpt-*"], rpm: 5, tpm: 1000, budget_usd: 10 });
    expect(changes).toEqual([key.id, key.id]);
    const lifted = await admin.setLimits("local-operator", key.id, {
      rpm: null,
      budget_usd: null,
      models: ["gpt-4o", "claude-*"],
      expires_in: "1d",
    });
    expect(lifted).toMatchObject({ rpm: null, budget_usd: null, models: ["gpt-4o", "claude-*"] });
    expect(lifted.expires_at).toBe("2030-01-02T00:00:00.000Z");
    expect((await storage.keys.getById(key.id))?.budgetUsd).toBeNull();
    expect((await admin.setLimits("local-operator", key.id, { expires_at: null })).expires_at).toBeNull();
    await storage.close();
  });

  test("setLimits on an embedder's key store without it: refused, the key unchanged", async () => {
    const { storage } = setup();
    const { setLimits: _, ...older } = storage.keys;
    const admin = createKeyAdmin({ store: older });
    const key = await admin.create("local-operator", { name: "svc", budget_usd: "1" });
    const error = await failure(admin.setLimits("local-operator", key.id, { budget_usd: "10" }));
    expect([error.status, error.code]).toEqual([400, "unsupported_operation"]);
    expect((await storage.keys.getById(key.id))?.budgetUsd).toBe(1);
    await storage.close();
  });

  test("setLimits: bad input is a 400, a revoked key a 404", async () => {
    const { storage, admin } = setup();
    const key = await admin.create("local-operator", { name: "svc" });
    const cases: Array<[unknown, string]> = [
      [{}, ""],
      [{ rpm: 0 }, "rpm"],
      [{ budget_usd: -1 }, "budget_usd"],
      [{ models: "" }, "models"],
      [{ expires_at: "2020-01-01T00:00:00Z" }, "expires_at"],
      [{ expires_in: "1d", expires_at: "2031-01-01T00:00:00Z" }, "expires_in"],
      [{ role: "admin" }, ""],
      [{ tenant: "other" }, ""],
    ];
    for (const [input, param] of cases) {
      const error = await failure(admin.setLimits("local-operator", key.id, input));
      expect(error.status).toBe(400);
      if (param) expect(error.message.startsWith(`${param}:`)).toBe(true);
    }
    await admin.revoke("local-operator", key.id);
    const gone = await failure(admin.setLimits("local-operator", key.id, { rpm: 1 }));
    expect([gone.status, gone.message]).toEqual([404, `no active key with id or name "${key.id}"`]);
    await storage.close();
  });

  test("setLimits by name in a rotation's grace window changes the newest key, as rotate picks it", async () => {
    const { storage, admin } = setup();
    const old = await admin.create("local-operator", { name: "svc" });
    const fresh = await admin.rotate("local-operator", "svc", { grace: "1h" });
    const changedKey = await admin.setLimits("local-operator", "svc", { rpm: 7 });
    expect([changedKey.id, changedKey.rpm]).toEqual([fresh.id, 7]);
    expect((await storage.keys.getById(old.id))?.rpm).toBeNull();
    await storage.close();
  });

  test("setLimits on a rotated-out key: its expiry shortened, never lengthened or lifted beside its successor", async () => {
    const { storage, admin } = setup();
    const old = await admin.create("local-operator", { name: "svc" });
    const fresh = await admin.rotate("local-operator", "svc", { grace: "1h" });
    for (const input of [
      { expires_at: null },
      { expires_in: "2h" },
      { expires_at: "2031-01-01T00:00:00Z" },
    ]) {
      const error = await failure(admin.setLimits("local-operator", old.id, input));
      expect([error.status, error.message]).toEqual([
        400,
        `key ${old.id} was rotated (key ${fresh.id} replaces it): its expiry may be shortened, not lengthened or lifted; change the new key's instead`,
      ]);
    }
    expect((await storage.keys.getById(old.id))?.expiresAt).toBe(Date.parse("2030-01-01T01:00:00Z"));
    // Narrowing it in its last hour, or shortening it, is an admin's to do.
    expect((await admin.setLimits("local-operator", old.id, { rpm: 1, expires_in: "10m" })).expires_at).toBe(
      "2030-01-01T00:10:00.000Z",
    );
    // The successor itself has none after it: its expiry is the admin's to lift.
    expect((await admin.setLimits("local-operator", fresh.id, { expires_at: null })).expires_at).toBeNull();
    await storage.close();
  });

  test("setLimits writes nothing over a key revoked while it was being changed: 409, the revoke stands", async () => {
    const { storage } = setup();
    const clock = manualClock(Date.parse("2030-01-01T00:00:00Z"));
    // Another admin's revoke lands between this change's read and its write.
    const racing: KeyStore = {
      ...storage.keys,
      setLimits: async (id, limits, asRead) => {
        await storage.keys.revoke(id, clock.now());
        return (await storage.keys.setLimits?.(id, limits, asRead)) ?? null;
      },
    };
    const admin = createKeyAdmin({ store: racing, now: clock.now });
    const key = await admin.create("local-operator", { name: "svc", rpm: 5, expires_in: "1d" });
    const error = await failure(admin.setLimits("local-operator", key.id, { rpm: null, expires_at: null }));
    expect([error.status, error.message]).toEqual([
      409,
      `key ${key.id} was revoked while its limits were being changed: nothing was written; read it again`,
    ]);
    const stored = await storage.keys.getById(key.id);
    expect([stored?.revokedAt, stored?.rpm, stored?.expiresAt]).toEqual([
      clock.now(),
      5,
      Date.parse("2030-01-02T00:00:00Z"),
    ]);
    await storage.close();
  });

  test("setLimits within a narrow admin's reach: it gives no more than it has, nor narrows a wider key", async () => {
    const { storage, admin } = setup();
    const root = await admin.create("local-operator", { name: "root", role: "admin" });
    const narrow: Principal = {
      ...user,
      keyId: "key_n",
      role: "admin",
      models: ["gpt-*"],
      limits: { budgetUsd: 5 },
    };
    const inner = await admin.create(narrow, { name: "inner", models: "gpt-4o", budget_usd: 1 });
    expect((await admin.setLimits(narrow, inner.id, { budget_usd: 5 })).budget_usd).toBe(5);
    for (const input of [{ budget_usd: 6 }, { budget_usd: null }, { models: "*" }]) {
      const error = await failure(admin.setLimits(narrow, inner.id, input));
      expect(error.status).toBe(403);
      expect(error.message).toStartWith(
        "this admin key may not change the limits of a key wider than itself",
      );
    }
    // The unrestricted admin's key cannot be tightened into uselessness by a narrower one.
    expect((await failure(admin.setLimits(narrow, root.id, { rpm: 1 }))).status).toBe(403);
    expect(await admin.show("local-operator", root.id)).toMatchObject({ rpm: null, budget_usd: null });
    await storage.close();
  });

  test("bootstrap admin: created once on an empty store", async () => {
    const { storage } = setup();
    const first = await ensureBootstrapAdmin(storage.keys);
    expect(first).toMatchObject({ name: "bootstrap-admin", role: "admin", models: ["*"] });
    expect(first?.key.startsWith("mgw_")).toBe(true);
    expect(await ensureBootstrapAdmin(storage.keys)).toBeNull();
    expect(await storage.keys.count()).toBe(1);
    await storage.close();
  });

  test("bootstrap admin: an embedder's key store without createIfEmpty still gets its key", async () => {
    const { storage } = setup();
    const { createIfEmpty: _, ...older } = storage.keys;
    expect(await ensureBootstrapAdmin(older)).toMatchObject({ name: "bootstrap-admin", role: "admin" });
    expect(await ensureBootstrapAdmin(older)).toBeNull();
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
    expect(await failure(ensureBootstrapAdmin(store))).toBe(unconfirmed);
    expect(await storage.keys.count()).toBe(0);
    lands = true;
    const issued = await ensureBootstrapAdmin(store);
    expect(issued).toMatchObject({ name: "bootstrap-admin", role: "admin" });
    expect((await storage.keys.list()).map((k) => k.id)).toEqual([issued?.id as string]);
    await storage.close();
  });

  test("bootstrap admin: several started at once on an empty store create one key, returned to one of them", async () => {
    const { storage } = setup();
    const issued = await Promise.all(Array.from({ length: 3 }, () => ensureBootstrapAdmin(storage.keys)));
    expect(issued.filter((k) => k !== null).length).toBe(1);
    expect(await storage.keys.count()).toBe(1);
    await storage.close();
  });
});
