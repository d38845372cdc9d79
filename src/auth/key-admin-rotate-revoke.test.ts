import { describe, expect, test } from "bun:test";
import type { KeyRecord } from "../storage/key-record.ts";
import type { KeyStore } from "../storage/storage.ts";
import { createKeyAdmin } from "./key-admin.ts";
import { failure, keyAdminFixture, user } from "./key-admin-fixture.ts";
import type { Principal } from "./principal.ts";

// Rotating and revoking keys, by id and by name: grace windows, rotation chains, names shared
// across tenants, dead keys. Creating and reading: key-admin.test.ts.
const { setup } = keyAdminFixture();

describe("key admin", () => {
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
      'no active key with id or name "old" in tenant "acme": it is revoked',
    ]);
    await storage.close();
  });

  test("a revoked or expired key is not rotated by id either: no dead key is issued, and the refusal says which it is", async () => {
    const { storage, admin, clock } = setup();
    const revoked = await admin.create("local-operator", { name: "gone" });
    await admin.revoke("local-operator", revoked.id);
    const expired = await admin.create("local-operator", { name: "old", expires_in: "1h" });
    clock.advance(2 * 3600_000);
    // It said "no active key with id or name …" alone, of a key `keys show` finds.
    for (const [id, why] of [
      [revoked.id, "it is revoked"],
      [expired.id, "it has expired"],
      ["gone", "it is revoked"],
      ["old", "it has expired"],
    ]) {
      const error = await failure(admin.rotate("local-operator", id ?? ""));
      expect([error.status, error.message]).toEqual([404, `no active key with id or name "${id}": ${why}`]);
    }
    const unknown = await failure(admin.rotate("local-operator", "never-made"));
    expect(unknown.message).toBe('no active key with id or name "never-made"');
    expect(await storage.keys.count()).toBe(2);
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
});
