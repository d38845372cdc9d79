/**
 * One contract, every backend: the same assertions run against SQLite (a temp file) and
 * PostgreSQL (a real server started for this file). A new backend adds one line to BACKENDS.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type PostgresServer, startPostgres } from "../../test/e2e/harness/postgres-server.ts";
import { makeRecord } from "../audit/audit-fixture.ts";
import { queryAudit } from "../audit/audit-query.ts";
import { auditFilterSchema, auditQuerySchema } from "../audit/audit-query-schema.ts";
import type { AuditRecord } from "../audit/audit-record.ts";
import { AuditRetention } from "../audit/retention.ts";
import { keyRecord } from "../testing/key-record.ts";
import type { KeyRecord } from "./key-record.ts";
import { openPostgresStorage } from "./postgres/postgres-storage.ts";
import { openSqliteStorage } from "./sqlite/sqlite-storage.ts";
import { tempDir } from "./sqlite/test-helpers.ts";
import type { Storage, StoredResponse } from "./storage.ts";

const tmp = tempDir();
let postgres: PostgresServer | undefined;
const opened: Storage[] = [];
beforeAll(async () => {
  postgres = await startPostgres();
}, 60_000);
afterAll(async () => {
  for (const storage of opened.splice(0)) await storage.close();
  await postgres?.stop();
  tmp.cleanup();
});

let files = 0;
export const pgOptions = (url: string) => ({
  url,
  pool: 4,
  statementTimeoutMs: 10_000,
  connectTimeoutMs: 2_000,
  sslmode: "disable" as const,
});
const BACKENDS: [string, () => Promise<Storage>][] = [
  ["sqlite", async () => openSqliteStorage(tmp.file(`contract-${++files}.db`))],
  ["postgres", async () => openPostgresStorage(pgOptions(await postgres!.createDatabase()))],
];

async function fresh(open: () => Promise<Storage>): Promise<Storage> {
  const storage = await open();
  opened.push(storage);
  return storage;
}

let n = 0;
function key(overrides: Partial<KeyRecord> = {}): KeyRecord {
  n += 1;
  return keyRecord({
    id: `key_${n}`,
    hash: `${n}`.padStart(64, "0"),
    name: `k${n}`,
    models: ["gpt-*"],
    rpm: 60,
    tpm: 100_000,
    budgetUsd: 1.5,
    createdAt: 1_700_000_000_000 + n,
    ...overrides,
  });
}

const stored = (tenant: string, id: string, createdAt = 1_700_000_000_000): StoredResponse => ({
  tenant,
  id,
  response: { id, object: "response", output: [{ type: "message", content: [{ text: "hi" }] }], z: 1, a: 2 },
  items: [{ type: "message", role: "user", content: "hello" }],
  createdAt,
});

for (const [name, open] of BACKENDS) {
  describe(`Storage contract: ${name}`, () => {
    test("keys: create, read by hash, id and name, list, count; duplicates refused", async () => {
      const { keys } = await fresh(open);
      const a = key();
      const b = key({ tenant: "acme", role: "admin", models: ["*"], name: a.name });
      await keys.create(a);
      await keys.create(b);
      expect(await keys.getByHash(a.hash)).toEqual(a);
      expect(await keys.getById(b.id)).toEqual(b);
      expect(await keys.getByHash("f".repeat(64))).toBeNull();
      expect((await keys.findByName(a.name)).map((k) => k.id)).toEqual([b.id, a.id]);
      expect((await keys.list()).map((k) => k.id)).toEqual([b.id, a.id]);
      expect((await keys.list({ tenant: "acme" })).map((k) => k.id)).toEqual([b.id]);
      expect(await keys.count()).toBe(2);
      await expect(keys.create({ ...a, id: "other" })).rejects.toThrow();
    });

    test("keys: revoke once, expiry, touch, and a change log another reader can follow", async () => {
      const { keys } = await fresh(open);
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

    test("spend: deltas add up per principal", async () => {
      const { spend } = await fresh(open);
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
      expect([...(await spend.totals())].sort()).toEqual([
        ["a", 0.75],
        ["b", 1],
      ]);
    });

    test("responses: saved exactly, scoped by tenant, replaced, pruned oldest first", async () => {
      const { responses } = await fresh(open);
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
      for (let i = 0; i < 5; i++) await responses.save(stored("acme", `old_${i}`, 1000 + i));
      expect(await responses.prune(2000, 3)).toBe(3);
      expect(await responses.prune(2000, 3)).toBe(2);
      expect(await responses.get("acme", "resp_1")).not.toBeNull();
    });

    test("audit: a batch round-trips every field; pages by cursor; filters; bodies only when asked", async () => {
      const { audit } = await fresh(open);
      const BASE = 1_700_000_000_000;
      const records: AuditRecord[] = Array.from({ length: 60 }, (_, i) =>
        makeRecord({
          requestId: `r${i}`,
          startedAt: BASE + (i % 10) * 1000, // repeated times exercise the id tie-break
          keyId: `key_${i % 3}`,
          keyName: `name-${i % 3}`,
          model: `model-${i % 2}`,
          status: [200, 404, 429, 502][i % 4]!,
          ttfbMs: i % 5 === 0 ? null : 3.5,
          stream: i % 2 === 0,
          requestBody: i === 7 ? '{"q":1}' : null,
          responseBody: i === 7 ? "answer" : null,
          ...(i === 7
            ? {
                errorMessage: "upstream up answered 503",
                dropped: "tools.web_search",
                node: "gw-a",
                servedNode: "gw-b",
                attempts: [
                  {
                    route: "provider:a",
                    upstreamModel: "m-a",
                    outcome: "failed" as const,
                    status: 500,
                    errorClass: "upstream_error",
                    durationMs: 12.25,
                  },
                  {
                    route: "worker:w1",
                    upstreamModel: "m-b",
                    outcome: "ok" as const,
                    status: null,
                    errorClass: null,
                    durationMs: 3,
                  },
                ],
              }
            : {}),
        }),
      );
      expect(await audit.insert(records)).toEqual({ written: 60, rejected: 0 });
      const all: AuditRecord[] = [];
      let cursor: string | null | undefined;
      do {
        const page = await queryAudit(
          audit,
          auditQuerySchema.parse({ order: "asc", limit: 7, bodies: "true", ...(cursor ? { cursor } : {}) }),
        );
        all.push(...page.records);
        cursor = page.nextCursor;
      } while (cursor);
      expect(all.map((r) => r.requestId).sort()).toEqual(records.map((r) => r.requestId).sort());
      const seven = all.find((r) => r.requestId === "r7")!;
      expect(seven).toEqual(records[7]!);
      // A record without attempts reads back without the field, not as an empty list.
      expect(all.find((r) => r.requestId === "r8")).not.toHaveProperty("attempts");
      // Off a cluster, the node columns stay empty and read back absent.
      expect(all.find((r) => r.requestId === "r8")).not.toHaveProperty("node");
      expect(all.find((r) => r.requestId === "r8")).not.toHaveProperty("servedNode");
      const plain = await audit.select(auditFilterSchema.parse({ order: "asc" }), null, 100);
      expect(plain.find((e) => e.record.requestId === "r7")?.record.requestBody).toBeUndefined();
      for (let i = 1; i < all.length; i++)
        expect(all[i]!.startedAt).toBeGreaterThanOrEqual(all[i - 1]!.startedAt);
      const count = async (filter: Record<string, string>) =>
        (await audit.select(auditFilterSchema.parse(filter), null, 1000)).length;
      expect(await count({ key: "key_1" })).toBe(20);
      expect(await count({ key: "name-2" })).toBe(20);
      expect(await count({ model: "model-1" })).toBe(30);
      expect(await count({ status: "4xx" })).toBe(30);
      expect(await count({ status: "502" })).toBe(15);
      expect(await count({ from: String(BASE + 5000), to: String(BASE + 7000) })).toBe(12);
      const desc = await audit.select(auditFilterSchema.parse({}), null, 3);
      expect(desc[0]!.record.startedAt).toBe(BASE + 9000);
    });

    test("audit: a record the store refuses is dropped and counted; the rest are written", async () => {
      const { audit } = await fresh(open);
      const bad = makeRecord({ requestId: "bad", status: { bad: true } as unknown as number });
      const result = await audit.insert([makeRecord(), bad, makeRecord()]);
      expect(result).toEqual({ written: 2, rejected: 1 });
      expect((await audit.select(auditFilterSchema.parse({}), null, 10)).length).toBe(2);
    });

    test("audit: prune deletes the oldest rows before the cutoff, at most `limit` per call; probe succeeds", async () => {
      const { audit } = await fresh(open);
      await audit.insert(
        Array.from({ length: 25 }, (_, i) => makeRecord({ startedAt: i * 10, requestBody: `b${i}` })),
      );
      expect(await audit.prune(200, 7)).toBe(7);
      expect(await audit.prune(200, 100)).toBe(13);
      expect(await audit.prune(200, 100)).toBe(0);
      const left = await audit.select(auditFilterSchema.parse({ order: "asc", bodies: "true" }), null, 100);
      expect(left.map((e) => e.record.startedAt)).toEqual([200, 210, 220, 230, 240]);
      expect(left[0]!.record.requestBody).toBe("b20");
      await audit.probe();
      expect((await audit.select(auditFilterSchema.parse({}), null, 100)).length).toBe(5);
    });

    test("audit retention: one pass deletes everything past the retention in batches, keeps the rest", async () => {
      const { audit } = await fresh(open);
      const NOW = 1_700_000_000_000;
      const HOUR = 3_600_000;
      const old = Array.from({ length: 350 }, (_, i) =>
        makeRecord({ requestId: `old-${i}`, startedAt: NOW - 48 * HOUR + i, requestBody: `old ${i}` }),
      );
      const recent = Array.from({ length: 5 }, (_, i) =>
        makeRecord({ requestId: `new-${i}`, startedAt: NOW - HOUR + i, requestBody: `new ${i}` }),
      );
      expect(await audit.insert([...old, ...recent])).toEqual({ written: 355, rejected: 0 });
      const batches: number[] = [];
      const counted = {
        prune: (before: number, limit: number) =>
          audit.prune(before, limit).then((n) => {
            batches.push(n);
            return n;
          }),
      };
      const retention = new AuditRetention(counted, {
        retentionMs: 24 * HOUR,
        batchSize: 100,
        now: () => NOW,
      });
      expect(await retention.runOnce()).toBe(350);
      // Four deletes of at most 100 rows, never one for everything.
      expect(batches).toEqual([100, 100, 100, 50]);
      const left = await audit.select(auditFilterSchema.parse({ order: "asc", bodies: "true" }), null, 1000);
      expect(left.map((e) => e.record.requestId)).toEqual(recent.map((r) => r.requestId));
      expect(left.map((e) => e.record.requestBody)).toEqual(recent.map((r) => r.requestBody));
      expect(await retention.runOnce()).toBe(0);
    });

    test("admin sessions: saved by id hash, never returned once expired, deleted, pruned", async () => {
      const { adminSessions } = await fresh(open);
      if (!adminSessions) throw new Error("this backend has no admin-session store");
      const session = (idHash: string, expiresAt: number) => ({
        idHash,
        csrf: `csrf-${idHash}`,
        principal: JSON.stringify({ name: "ops", via: "session" }),
        method: "key" as const,
        keyId: "key_1",
        createdAt: 1_700_000_000_000,
        expiresAt,
      });
      const T = 1_700_000_060_000;
      await adminSessions.save(session("a".repeat(64), T));
      await adminSessions.save({ ...session("b".repeat(64), T + 1000), method: "oidc", keyId: null });
      expect(await adminSessions.get("a".repeat(64), T - 1)).toEqual(session("a".repeat(64), T));
      expect(await adminSessions.get("a".repeat(64), T)).toBeNull(); // expiry is exclusive
      expect(await adminSessions.get("c".repeat(64), 0)).toBeNull();
      expect(await adminSessions.get("b".repeat(64), T)).toMatchObject({ method: "oidc", keyId: null });
      await expect(adminSessions.save(session("b".repeat(64), T))).rejects.toThrow(); // ids are unique
      expect(await adminSessions.prune(T)).toBe(1);
      expect(await adminSessions.prune(T)).toBe(0);
      await adminSessions.delete("b".repeat(64));
      expect(await adminSessions.get("b".repeat(64), 0)).toBeNull();
    });

    test("admin actions: appended and read newest first in pages, shared by every handle", async () => {
      const { adminActions } = await fresh(open);
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
    });

    test("shadow pairs: inserted whole in batches, listed newest first by page and filter, aggregated per model, pruned", async () => {
      const { shadow } = await fresh(open);
      if (!shadow) throw new Error("this backend has no shadow store");
      const side = (status: number, latencyMs: number, costUsd: number) => ({
        route: "provider:p",
        upstreamModel: "m",
        status,
        errorClass: status === 200 ? null : "upstream_timeout",
        latencyMs,
        ttftMs: null,
        inputTokens: 3,
        outputTokens: 5,
        costUsd,
        answer: null,
      });
      const pair = (i: number) => ({
        id: `pair_${i}`,
        requestId: `req_${i}`,
        at: 1000 * i,
        tenant: i === 4 ? "other" : "acme",
        keyName: "ci",
        model: i === 3 ? "b" : "a",
        stream: false,
        primary: side(200, 10 * i, 0.5),
        shadow: side(i === 2 ? 504 : 200, 20 * i, 0.25),
        agreement: {
          exact: i === 1,
          similarity: i / 4,
          primaryJsonValid: null,
          shadowJsonValid: null,
          toolsAgree: null,
        },
      });
      // One pair alone, then a batch (one transaction, kept in order), and an empty batch.
      await shadow.insert([pair(1)]);
      await shadow.insert([2, 3, 4].map(pair));
      await shadow.insert([]);
      const page = await shadow.list({}, null, 2);
      expect(page.map((p) => p.id)).toEqual(["pair_4", "pair_3"]);
      expect(page[0]!.shadow.latencyMs).toBe(80);
      expect((await shadow.list({}, "pair_3", 10)).map((p) => p.id)).toEqual(["pair_2", "pair_1"]);
      expect((await shadow.list({ model: "a", tenant: "acme" }, null, 10)).map((p) => p.id)).toEqual([
        "pair_2",
        "pair_1",
      ]);
      const [a, b] = await shadow.aggregate({ from: 1000, to: 4000 });
      expect(a).toMatchObject({ model: "a", pairs: 2, shadowOk: 1, exactRate: 0.5, primaryCostUsd: 1 });
      expect(a!.meanSimilarity).toBeCloseTo(0.375);
      expect(a!.shadowJsonValidRate).toBeNull();
      expect(b).toMatchObject({ model: "b", pairs: 1, shadowOk: 1, exactRate: 0 });
      expect(await shadow.prune(2500, 10)).toBe(2);
      expect((await shadow.list({}, null, 10)).map((p) => p.id)).toEqual(["pair_4", "pair_3"]);
    });
  });
}
