/**
 * The storage contract, every backend (storage-contract-fixture.ts): keys, spend, stored
 * responses and admin actions. The record stores (audit, shadow pairs):
 * storage-contract-records.test.ts; the console's sessions: storage-contract-sessions.test.ts.
 */
import { describe, expect, test } from "bun:test";
import { numberedKey as key, readBack } from "../testing/key-record.ts";
import { readResponseChain } from "./response-chain.ts";
import type { StoredResponse } from "./storage.ts";
import { contractBackends } from "./storage-contract-fixture.ts";

const stored = (tenant: string, id: string, createdAt = 1_700_000_000_000): StoredResponse => ({
  tenant,
  id,
  response: { id, object: "response", output: [{ type: "message", content: [{ text: "hi" }] }], z: 1, a: 2 },
  items: [{ type: "message", role: "user", content: "hello" }],
  createdAt,
});

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

    test("spend: deltas add up per principal", async () => {
      const { spend } = await fresh();
      await spend.add(
        new Map([
          ["a", 0.25],
          ["b", 1],
        ]),
      );
      await spend.add(
        new Map([
          ["a", 0.5],
          ["c", 0],
        ]),
      );
      expect(await spend.total("a")).toBeCloseTo(0.75);
      expect(await spend.total("missing")).toBe(0);
      expect([...(await spend.changedSince(0)).totals].sort()).toEqual([
        ["a", 0.75],
        ["b", 1],
      ]);
    });

    test("spend: totals reads many principals' totals at once, those with none absent", async () => {
      const { spend } = await fresh();
      // More than one statement's worth on SQLite (500 a statement).
      const ids = Array.from({ length: 1_200 }, (_, i) => `tenant:t${i}:2026-11`);
      await spend.add(new Map(ids.filter((_, i) => i % 3 === 0).map((id, i) => [id, i + 0.5] as const)));
      const totals = await spend.totals?.([...ids, "never-written"]);
      expect(totals?.size).toBe(400);
      expect(totals?.get("tenant:t0:2026-11")).toBe(0.5);
      expect(totals?.get("tenant:t1197:2026-11")).toBe(399.5);
      expect(totals?.has("tenant:t1:2026-11")).toBe(false);
      expect(await spend.totals?.([])).toEqual(new Map());
    });

    test("spend: a reader follows every writer from its cursor, reading only the totals that changed", async () => {
      const storage = await fresh();
      const { spend } = storage;
      await spend.add(new Map(Array.from({ length: 200 }, (_, i) => [`key_${i}`, 1] as const)));
      const start = await spend.changedSince(0);
      expect(start.totals.size).toBe(200);
      expect(await spend.changedSince(start.cursor)).toEqual({ totals: new Map(), cursor: start.cursor });
      // Two writes: the reader finds both principals, at their totals, and nothing else.
      await spend.add(new Map([["key_3", 0.5]]));
      await spend.add(new Map([["tenant:acme:2026-11", 2]]));
      const next = await spend.changedSince(start.cursor);
      expect(next.totals).toEqual(
        new Map([
          ["key_3", 1.5],
          ["tenant:acme:2026-11", 2],
        ]),
      );
      expect(next.cursor).toBeGreaterThan(start.cursor);
      expect((await spend.changedSince(next.cursor)).totals.size).toBe(0);
      // Removed totals are gone; the others are untouched.
      await spend.remove(["tenant:acme:2026-11", "key_0", "never-written"]);
      expect(await spend.total("tenant:acme:2026-11")).toBe(0);
      expect(await spend.total("key_0")).toBe(0);
      expect(await spend.total("key_1")).toBe(1);
      expect((await spend.changedSince(0)).totals.size).toBe(199);
      await spend.remove([]);
    });

    test("spend: a reader follows another node's writes, and a previous release's node's, which leave seq alone", async () => {
      const database = await shared();
      const reader = await database.open();
      const other = await database.open();
      await reader.spend.add(new Map([["k1", 1]]));
      const start = await reader.spend.changedSince(0);
      await Promise.all([
        reader.spend.add(new Map([["k1", 1]])),
        other.spend.add(new Map([["k2", 2]])),
        database.addSpendAsPreviousRelease("k1", 50),
        database.addSpendAsPreviousRelease("k3", 70),
      ]);
      const next = await reader.spend.changedSince(start.cursor);
      expect(next.totals).toEqual(
        new Map([
          ["k1", 52],
          ["k2", 2],
          ["k3", 70],
        ]),
      );
      // The newest total removed, the next write still takes a number the reader has not passed.
      await other.spend.add(new Map([["k4", 1]]));
      const last = await reader.spend.changedSince(next.cursor);
      await other.spend.remove(["k4"]);
      await database.addSpendAsPreviousRelease("k5", 5);
      expect((await reader.spend.changedSince(last.cursor)).totals).toEqual(new Map([["k5", 5]]));
    });

    test("responses: saved exactly, scoped by tenant, replaced, deleted, pruned oldest first", async () => {
      const { responses } = await fresh();
      const record = stored("acme", "resp_1");
      await responses.save(record);
      const back = await responses.get("acme", "resp_1");
      expect(back).toEqual(record);
      expect(Object.keys(back!.response)).toEqual(Object.keys(record.response));
      expect(await responses.get("globex", "resp_1")).toBeNull();
      await responses.save({ ...record, items: [] });
      expect((await responses.get("acme", "resp_1"))?.items).toEqual([]);
      // Who holds a native answer is kept, so reads and chains reach it from any node.
      await responses.save({ ...record, holder: "worker:w1" });
      expect((await responses.get("acme", "resp_1"))?.holder).toBe("worker:w1");
      await responses.save(stored("acme", "resp_gone"));
      expect(await responses.delete?.("globex", "resp_gone")).toBe(false);
      expect(await responses.get("acme", "resp_gone")).not.toBeNull();
      expect(await responses.delete?.("acme", "resp_gone")).toBe(true);
      expect(await responses.get("acme", "resp_gone")).toBeNull();
      expect(await responses.delete?.("acme", "resp_gone")).toBe(false);
      for (let i = 0; i < 5; i++) await responses.save(stored("acme", `old_${i}`, 1000 + i));
      expect(await responses.prune(2000, 3)).toBe(3);
      expect(await responses.prune(2000, 3)).toBe(2);
      expect(await responses.get("acme", "resp_1")).not.toBeNull();
    });

    test("a lookup spelt with NUL (a client's response id, an admin's key name) finds nothing, where PostgreSQL's refusal of it was a store failure (503)", async () => {
      const { keys, responses } = await fresh();
      await responses.save(stored("acme", "resp_1"));
      expect(await keys.getById("key_\u0000")).toBeNull();
      expect(await keys.findByName("alice\u0000")).toEqual([]);
      expect(await keys.list({ tenant: "acme\u0000" })).toEqual([]);
      expect(await responses.get("acme", "resp_\u0000")).toBeNull();
      expect(await responses.delete?.("acme", "resp_\u0000")).toBe(false);
      expect(await responses.responseOfItem?.("acme", "msg_\u0000")).toBeNull();
      expect(await responses.get("acme", "resp_1")).not.toBeNull();
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

    test("responses: an output item's response is found by the item's id, within the tenant; gone with the response", async () => {
      const { responses } = await fresh();
      const answered = (tenant: string, id: string, itemIds: string[]): StoredResponse => ({
        ...stored(tenant, id),
        response: { id, output: [...itemIds.map((item) => ({ type: "message", id: item })), "odd", {}] },
      });
      await responses.save(answered("acme", "resp_a", ["msg_up1", "rs_up1", "msg_up1"]));
      await responses.save(answered("globex", "resp_g", ["msg_up2"]));
      expect(await responses.responseOfItem?.("acme", "msg_up1")).toBe("resp_a");
      expect(await responses.responseOfItem?.("acme", "rs_up1")).toBe("resp_a");
      // An input item is no output item; another tenant's item is unknown.
      expect(await responses.responseOfItem?.("acme", "msg_unknown")).toBeNull();
      expect(await responses.responseOfItem?.("acme", "msg_up2")).toBeNull();
      expect(await responses.responseOfItem?.("globex", "msg_up2")).toBe("resp_g");
      await responses.save(answered("acme", "resp_b", ["msg_up3"]));
      await responses.delete?.("acme", "resp_b");
      expect(await responses.responseOfItem?.("acme", "msg_up3")).toBeNull();
      await responses.save({ ...answered("acme", "resp_old", ["msg_up4"]), createdAt: 1 });
      await responses.prune(2, 10);
      expect(await responses.responseOfItem?.("acme", "msg_up4")).toBeNull();
    });

    test("responses: a chain read in one go, oldest first, each turn stored once; a response gone is named", async () => {
      const { responses } = await fresh();
      const turn = (id: string, previousId?: string): StoredResponse => ({
        ...stored("acme", id),
        items: [{ type: "message", role: "user", content: `${id} ${"x".repeat(1000)}` }],
        ...(previousId ? { previousId } : {}),
      });
      const ids = Array.from({ length: 30 }, (_, i) => `resp_t${i}`);
      for (const [i, id] of ids.entries()) await responses.save(turn(id, ids[i - 1]));
      const chain = await readResponseChain(responses, "acme", "resp_t29");
      expect(chain?.responses.map((r) => r.id)).toEqual(ids);
      expect(chain?.missing).toBeUndefined();
      expect(chain?.responses[5]).toEqual(turn("resp_t5", "resp_t4"));
      // Each row holds its own turn: the 30th is no larger than the 12th.
      const size = async (id: string) => JSON.stringify((await responses.get("acme", id))?.items).length;
      expect(await size("resp_t29")).toBe(await size("resp_t11"));
      expect((await readResponseChain(responses, "acme", "resp_t0"))?.responses).toHaveLength(1);
      // Scoped: another tenant reads nothing, and a link is only followed within the tenant.
      expect(await readResponseChain(responses, "globex", "resp_t29")).toBeNull();
      await responses.save({ ...turn("resp_g1", "resp_t28"), tenant: "globex" });
      expect(await readResponseChain(responses, "globex", "resp_g1")).toMatchObject({ missing: "resp_t28" });
      // A response deleted takes its turn with it: the chains after it stop short of it.
      expect(await responses.delete?.("acme", "resp_t10")).toBe(true);
      const cut = await readResponseChain(responses, "acme", "resp_t29");
      expect(cut?.responses.map((r) => r.id)).toEqual(ids.slice(11));
      expect(cut?.missing).toBe("resp_t10");
      expect(await readResponseChain(responses, "acme", "resp_t10")).toBeNull();
      // A response stored whole (no previousId, as rows stored before were) ends the walk.
      await responses.save(turn("resp_t10"));
      expect((await readResponseChain(responses, "acme", "resp_t29"))?.responses).toHaveLength(20);
      // Ids that loop (no gateway writes them) end the read rather than hang it.
      await responses.save(turn("resp_a", "resp_b"));
      await responses.save(turn("resp_b", "resp_a"));
      expect(await readResponseChain(responses, "acme", "resp_a")).toMatchObject({ missing: "resp_a" });
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
