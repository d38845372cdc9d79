/**
 * The storage contract, every backend (storage-contract-fixture.ts): keys and admin actions. Spend:
 * storage-contract-spend.test.ts; stored responses: storage-contract-responses.test.ts; the record
 * stores (audit, shadow pairs): storage-contract-records.test.ts; the console's sessions:
 * storage-contract-sessions.test.ts.
 */
import { describe, expect, test } from "bun:test";
import { numberedKey as key, readBack } from "../testing/key-record.ts";
import { contractBackends } from "./storage-contract-fixture.ts";

for (const [name, fresh, shared] of contractBackends()) {
  describe(`Storage contract: ${name}`, () => {
    test("keys: create, read by hash, id and name, list, count; duplicates refused", async () => {
      const { keys } = await fresh();
      const a = key();
      const b = key({ tenant: "acme", role: "admin", models: ["*"], name: a.name });
      await keys.create(a);
      await keys.create(b);
      expect(await keys.getByHash(a.hash)).toEqual(readBack(a));
      expect(await keys.getById(b.id)).toEqual(readBack(b));
      expect(await keys.getByHash("f".repeat(64))).toBeNull();
      expect((await keys.findByName(a.name)).map((k) => k.id)).toEqual([b.id, a.id]);
      expect((await keys.list()).map((k) => k.id)).toEqual([b.id, a.id]);
      expect((await keys.list({ tenant: "acme" })).map((k) => k.id)).toEqual([b.id]);
      expect(await keys.count()).toBe(2);
      await expect(keys.create({ ...a, id: "other" })).rejects.toThrow();
    });

    test("keys: countActive counts each tenant's keys neither revoked nor expired, in one read", async () => {
      const { keys } = await fresh();
      const now = 1_800_000_000_000;
      const revoked = key({ tenant: "acme" });
      for (const k of [
        key({ tenant: "acme" }),
        key({ tenant: "acme", expiresAt: now + 1 }),
        key({ tenant: "acme", expiresAt: now }),
        revoked,
        key({ tenant: "beta" }),
        key({ tenant: "gamma", expiresAt: now - 1 }),
        key({ tenant: "other" }),
      ])
        await keys.create(k);
      await keys.revoke(revoked.id, now - 5);
      const counts = await keys.countActive?.(["acme", "beta", "gamma", "none"], now);
      expect(counts).toEqual(
        new Map([
          ["acme", 2],
          ["beta", 1],
        ]),
      );
      expect(await keys.countActive?.([], now)).toEqual(new Map());
    });

    test("keys: countActiveOutside counts the active keys of each tenant not among those given, in one read", async () => {
      const { keys } = await fresh();
      const now = 1_800_000_000_000;
      const revoked = key({ tenant: "ops" });
      for (const k of [
        key({ tenant: "acme" }),
        key({ tenant: "ops" }),
        key({ tenant: "ops", expiresAt: now + 1 }),
        key({ tenant: "ops", expiresAt: now }),
        revoked,
        key({ tenant: "old", expiresAt: now - 1 }),
        key({ tenant: "default" }),
      ])
        await keys.create(k);
      await keys.revoke(revoked.id, now - 5);
      expect(await keys.countActiveOutside?.(["acme", "default", "none"], now)).toEqual(
        new Map([["ops", 2]]),
      );
      expect(await keys.countActiveOutside?.([], now)).toEqual(
        new Map([
          ["acme", 1],
          ["default", 1],
          ["ops", 2],
        ]),
      );
    });

    test("keys: page reads newest first after a position, one tenant's, one name's or the active ones, in the store", async () => {
      const { keys } = await fresh();
      const now = 1_800_000_000_000;
      // Two keys in one millisecond: the id orders them.
      const [a, b, c, d, e] = [
        key({ createdAt: 10, id: "key_a" }),
        key({ createdAt: 20, id: "key_b", tenant: "acme", name: "twin" }),
        key({ createdAt: 20, id: "key_c", expiresAt: now, name: "twin" }),
        key({ createdAt: 30, id: "key_d", tenant: "acme", name: "twin" }),
        key({ createdAt: 40, id: "key_e" }),
      ];
      for (const k of [a, b, c, d, e]) await keys.create(k!);
      await keys.revoke(e!.id, now - 1);
      const ids = async (...args: Parameters<NonNullable<typeof keys.page>>) =>
        ((await keys.page?.(...args)) ?? []).map((k) => k.id);
      expect(await ids({}, null, 10)).toEqual(["key_e", "key_d", "key_c", "key_b", "key_a"]);
      expect(await ids({}, null, 2)).toEqual(["key_e", "key_d"]);
      expect(await ids({}, { createdAt: 30, id: "key_d" }, 2)).toEqual(["key_c", "key_b"]);
      expect(await ids({}, { createdAt: 20, id: "key_b" }, 2)).toEqual(["key_a"]);
      expect(await ids({ tenant: "acme" }, null, 10)).toEqual(["key_d", "key_b"]);
      expect(await ids({ tenant: "acme" }, { createdAt: 30, id: "key_d" }, 10)).toEqual(["key_b"]);
      expect(await ids({ name: "twin" }, null, 10)).toEqual(["key_d", "key_c", "key_b"]);
      expect(await ids({ name: "twin", activeAt: now }, { createdAt: 30, id: "key_d" }, 10)).toEqual([
        "key_b",
      ]);
      expect(await ids({ name: "twin", tenant: "default" }, null, 10)).toEqual(["key_c"]);
      expect(await ids({ activeAt: now }, null, 10)).toEqual(["key_d", "key_b", "key_a"]);
      expect(await ids({ activeAt: now - 1 }, null, 10)).toEqual(["key_d", "key_c", "key_b", "key_a"]);
      expect((await keys.page?.({}, null, 1))?.[0]).toEqual(readBack({ ...e!, revokedAt: now - 1 }));
      // list's filters, in the store as well.
      expect((await keys.list({ tenant: "acme", includeRevoked: false })).map((k) => k.id)).toEqual([
        "key_d",
        "key_b",
      ]);
      expect((await keys.list({ includeRevoked: false })).map((k) => k.id)).not.toContain("key_e");
    });

    test("keys: a rotated key's chain is kept; a key without one reads back without one", async () => {
      const { keys } = await fresh();
      const first = key();
      const rotated = key({ name: first.name, chain: first.id });
      await keys.create(first);
      await keys.create(rotated);
      expect(await keys.getById(rotated.id)).toEqual(readBack(rotated));
      expect(await keys.getById(first.id)).toEqual(readBack(first));
      expect((await keys.findByName(first.name)).map((k) => k.chain)).toEqual([first.id, undefined]);
    });

    test("keys: createIfEmpty inserts on an empty store only, once however many nodes try at the same moment", async () => {
      const database = await shared();
      const nodes = await Promise.all([database.open(), database.open(), database.open()]);
      const tried = nodes.flatMap((node) => [key(), key()].map((k) => node.keys.createIfEmpty?.(k)));
      expect((await Promise.all(tried)).filter(Boolean).length).toBe(1);
      expect(await nodes[0]!.keys.count()).toBe(1);
      expect(await nodes[1]!.keys.createIfEmpty?.(key())).toBe(false);
    });

    test("keys: createIfOnly inserts only while every key stored is one of the ids given, once however many nodes try", async () => {
      const database = await shared();
      const nodes = await Promise.all([database.open(), database.open(), database.open()]);
      const left = key();
      await nodes[0]!.keys.create(left);
      const tried = nodes.flatMap((node) =>
        [key(), key()].map((k) => node.keys.createIfOnly?.(k, [left.id])),
      );
      expect((await Promise.all(tried)).filter(Boolean).length).toBe(1);
      expect(await nodes[0]!.keys.count()).toBe(2);
      expect(await nodes[1]!.keys.createIfOnly?.(key(), [left.id])).toBe(false);
    });

    test("keys: revoke once, expiry, touch, and a change log another reader can follow", async () => {
      const { keys } = await fresh();
      const a = key();
      const b = key();
      await keys.create(a);
      const start = await keys.cursor();
      await keys.create(b);
      expect((await keys.revoke(a.id, 5000))?.revokedAt).toBe(5000);
      expect((await keys.revoke(a.id, 9000))?.revokedAt).toBe(5000);
      expect(await keys.revoke("missing", 1)).toBeNull();
      expect((await keys.setExpiresAt(b.id, 7000))?.expiresAt).toBe(7000);
      const changes = await keys.changedSince(start);
      // One entry per key, at its latest change, in change order.
      expect(changes.records.map((r) => r.id)).toEqual([a.id, b.id]);
      expect(changes.cursor).toBe(await keys.cursor());
      expect((await keys.changedSince(changes.cursor)).records).toEqual([]);
      await keys.touch(new Map([[a.id, 100]]));
      await keys.touch(new Map([[a.id, 50]]));
      expect((await keys.getById(a.id))?.lastUsedAt).toBe(100);
      expect(await keys.cursor()).toBe(changes.cursor); // touch is not a change
      expect((await keys.list({ includeRevoked: false })).map((k) => k.id)).toEqual([b.id]);
    });

    test("keys: setLimits changes models, limits and expiry as one change other readers follow", async () => {
      const { keys } = await fresh();
      const a = key({ rpm: 5, budgetUsd: 1 });
      await keys.create(a);
      const start = await keys.cursor();
      const limits = { models: ["gpt-*", "m1"], rpm: null, tpm: 1000, budgetUsd: 2.5, expiresAt: 9000 };
      expect(await keys.setLimits?.(a.id, limits, a)).toEqual(readBack({ ...a, ...limits }));
      expect(await keys.getByHash(a.hash)).toEqual(readBack({ ...a, ...limits }));
      expect((await keys.changedSince(start)).records).toEqual([readBack({ ...a, ...limits })]);
      expect(await keys.setLimits?.("missing", limits, a)).toBeNull();
    });

    test("keys: setLimits writes nothing over a key revoked or rotated since it was read", async () => {
      const { keys } = await fresh();
      const [rotated, revoked] = [key({ expiresAt: null }), key({ expiresAt: 9000 })];
      await keys.create(rotated);
      await keys.create(revoked);
      // Read, then a rotation bounds the first's life and a revoke ends the second's, then the write.
      await keys.setExpiresAt(rotated.id, 5000);
      await keys.revoke(revoked.id, 1000);
      const lifted = { models: ["*"], rpm: null, tpm: null, budgetUsd: null, expiresAt: null };
      expect(await keys.setLimits?.(rotated.id, lifted, rotated)).toBeNull();
      expect(await keys.setLimits?.(revoked.id, lifted, revoked)).toBeNull();
      expect((await keys.getById(rotated.id))?.expiresAt).toBe(5000);
      expect((await keys.getById(revoked.id))?.models).toEqual(revoked.models);
    });

    test("keys: setLimits writes nothing over a key whose limits another change moved since it was read", async () => {
      const { keys } = await fresh();
      const a = key({ models: ["gpt-*"], rpm: 5, tpm: 1000, budgetUsd: 1.5, expiresAt: 9000 });
      await keys.create(a);
      // Each field in turn moved by another admin between this read and this write.
      const moves = [
        { models: ["gpt-4o"] },
        { rpm: 6 },
        { tpm: null },
        { budgetUsd: 2.25 },
        { expiresAt: 8000 },
      ];
      let current = a;
      for (const move of moves) {
        const moved = await keys.setLimits?.(a.id, { ...current, ...move }, current);
        expect(moved).toMatchObject(move);
        expect(await keys.setLimits?.(a.id, { ...current, rpm: 1 }, current)).toBeNull();
        current = moved ?? current;
      }
      // As read now: written.
      expect(await keys.setLimits?.(a.id, { ...current, rpm: 1 }, current)).toEqual(
        readBack({ ...current, rpm: 1 }),
      );
    });

    test("keys: setLimits with the key's version writes nothing over any change since, one that moved no limit included", async () => {
      const { keys } = await fresh();
      const a = key({ expiresAt: 9000 });
      await keys.create(a);
      const read = await keys.getById(a.id);
      if (read === null) throw new Error("the key was not stored");
      // A rotation's end written over an expiry already sooner than its grace window: every limit
      // as it was, the key changed all the same.
      const ended = await keys.setLimits?.(a.id, { ...a, expiresAt: 9000 }, read);
      expect(ended?.version).toBeGreaterThan(read.version ?? Number.POSITIVE_INFINITY);
      expect(await keys.setLimits?.(a.id, { ...a, expiresAt: null }, read)).toBeNull();
      // An expiry set again to what it was (setExpiresAt) is a change too.
      const again = await keys.getById(a.id);
      await keys.setExpiresAt(a.id, 9000);
      expect(again && (await keys.setLimits?.(a.id, { ...a, rpm: 1 }, again))).toBeNull();
      expect((await keys.getById(a.id))?.expiresAt).toBe(9000);
      // As read now: written.
      const current = await keys.getById(a.id);
      expect(current && (await keys.setLimits?.(a.id, { ...a, rpm: 1 }, current))).toMatchObject({ rpm: 1 });
      // touch is no change: a version read before it still writes.
      const beforeUse = await keys.getById(a.id);
      await keys.touch(new Map([[a.id, 100]]));
      expect(beforeUse && (await keys.setLimits?.(a.id, { ...a, rpm: 2 }, beforeUse))).toMatchObject({
        rpm: 2,
      });
    });

    test("keys: a name holding NUL (the admin API takes any text) is stored, found by the name spelt so, where PostgreSQL refused the key (503)", async () => {
      const { keys } = await fresh();
      const named = key({ name: "alice\u0000ops" });
      await keys.create(named);
      // PostgreSQL's text holds no NUL: there it is U+FFFD (postgres-text.ts).
      const stored = name === "postgres" ? "alice\uFFFDops" : named.name;
      expect(await keys.getById(named.id)).toEqual(readBack({ ...named, name: stored }));
      expect((await keys.findByName(named.name)).map((k) => k.id)).toEqual([named.id]);
    });

    test("admin actions: appended and read newest first in pages (all, those on given keys, or one actor's), shared by every handle", async () => {
      const { adminActions } = await fresh();
      if (!adminActions) throw new Error("this backend has no admin-action store");
      for (let i = 1; i <= 5; i++)
        await adminActions.append({
          at: 1000 + i,
          actor: "ops",
          actorKeyId: i % 2 ? "key_1" : null,
          via: "session",
          action: "key.create",
          target: `key_${i}`,
          detail: `created ${i}`,
          clientIp: "127.0.0.1",
          requestId: `req_${i}`,
        });
      const first = await adminActions.list({ limit: 2 });
      expect(first.map((a) => a.target)).toEqual(["key_5", "key_4"]);
      expect(first[0]).toMatchObject({
        at: 1005,
        actorKeyId: "key_1",
        detail: "created 5",
        requestId: "req_5",
      });
      const rest = await adminActions.list({ before: first[1]!.id, limit: 10 });
      expect(rest.map((a) => a.target)).toEqual(["key_3", "key_2", "key_1"]);
      // On given keys: the target's, or the actor's for an action without one (a sign-in).
      await adminActions.append({ ...first[0]!, target: null, actorKeyId: "key_9" });
      await adminActions.append({ ...first[0]!, target: null, actorKeyId: null });
      const onKeys = await adminActions.list({ limit: 2, keys: ["key_9", "key_4", "key_1"] });
      expect(onKeys.map((a) => a.target ?? a.actorKeyId)).toEqual(["key_9", "key_4"]);
      const older = await adminActions.list({
        before: onKeys[1]!.id,
        limit: 2,
        keys: ["key_9", "key_4", "key_1"],
      });
      expect(older.map((a) => a.target)).toEqual(["key_1"]);
      expect(await adminActions.list({ limit: 10, keys: [] })).toEqual([]);
      // One actor's, by its id: key_1 made the odd ones; with keys too, both hold.
      const byActor = await adminActions.list({ limit: 2, actor: "key_1" });
      expect(byActor.map((a) => a.target)).toEqual(["key_5", "key_3"]);
      expect(
        (await adminActions.list({ before: byActor[1]!.id, limit: 2, actor: "key_1" })).map((a) => a.target),
      ).toEqual(["key_1"]);
      expect(
        (await adminActions.list({ limit: 10, actor: "key_1", keys: ["key_3", "key_4"] })).map(
          (a) => a.target,
        ),
      ).toEqual(["key_3"]);
      expect(await adminActions.list({ limit: 10, actor: "ops" })).toEqual([]); // a name is no id
    });
  });
}
