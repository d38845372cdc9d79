import { describe, expect, test } from "bun:test";
import type { KeyStore } from "../storage/storage.ts";
import { keyRecord } from "../testing/key-record.ts";
import { createKeyAdmin } from "./key-admin.ts";
import { failure, keyAdminFixture, user } from "./key-admin-fixture.ts";
import { type Principal, principalFromKey } from "./principal.ts";
import { manualClock } from "./test-support.ts";

// Who may manage which keys (a non-admin, a narrow or expiring admin credential, an admin in a
// tenant), and changes of a key's limits (setLimits). Creating and reading: key-admin.test.ts.
const { setup, freshStorage } = keyAdminFixture();

describe("key admin", () => {
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
    const storage = freshStorage();
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
    // An id learnt elsewhere is answered as an id of no key: neither that it is one, nor whose, nor
    // (revoked) whether it is still in use: no ": it is revoked", as its own tenant's admin reads.
    const refused = async (attempt: Promise<unknown>) => {
      const error = await failure(attempt);
      return `${error.status} ${error.code}: ${error.message}`;
    };
    const refusals = (id: string): Promise<string[]> =>
      Promise.all([
        refused(admin.rotate(acmeAdmin, id)),
        refused(admin.revoke(acmeAdmin, id)),
        refused(admin.show(acmeAdmin, id)),
        refused(admin.setLimits(acmeAdmin, id, { rpm: 1 })),
      ]);
    const asNoKey = (id: string) =>
      ["active ", "active ", "", "active "].map((is) => `404 not_found: no ${is}key with id or name "${id}"`);
    for (const other of [globexKey.id, plainKey.id]) expect(await refusals(other)).toEqual(asNoKey(other));
    await admin.revoke("local-operator", globexKey.id);
    expect(await refusals(globexKey.id)).toEqual(asNoKey(globexKey.id));
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
    expect([gone.status, gone.message]).toEqual([
      404,
      `no active key with id or name "${key.id}": it is revoked`,
    ]);
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
});
