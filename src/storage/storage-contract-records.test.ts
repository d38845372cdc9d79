/**
 * The storage contract, every backend (storage-contract-fixture.ts): the record stores, audit
 * rows and shadow pairs. Keys and admin actions: storage-contract.test.ts; spend and stored
 * responses: storage-contract-spend.test.ts, storage-contract-responses.test.ts; the console's
 * sessions: storage-contract-sessions.test.ts.
 */
import { describe, expect, test } from "bun:test";
import { makeRecord } from "../audit/audit-fixture.ts";
import { queryAudit } from "../audit/audit-query.ts";
import { auditFilterSchema, auditQuerySchema } from "../audit/audit-query-schema.ts";
import type { AuditRecord } from "../audit/audit-record.ts";
import { AuditRetention } from "../audit/retention.ts";
import { failureOf } from "../testing/gateway-error-of.ts";
import { shadowPair } from "../testing/shadow-pair.ts";
import { contractBackends } from "./storage-contract-fixture.ts";

for (const [name, fresh] of contractBackends()) {
  describe(`Storage contract: ${name}`, () => {
    test("audit: a batch round-trips every field; pages by cursor; filters; bodies only when asked", async () => {
      const { audit } = await fresh();
      const BASE = 1_700_000_000_000;
      const records: AuditRecord[] = Array.from({ length: 60 }, (_, i) =>
        makeRecord({
          requestId: `r${i}`,
          startedAt: BASE + (i % 10) * 1000, // repeated times exercise the id tie-break
          keyId: `key_${i % 3}`,
          keyName: `name-${i % 3}`,
          model: `model-${i % 2}`,
          tenant: [null, "acme", "globex"][i % 3]!,
          route: i % 5 === 0 ? "worker:w1" : "provider:openai",
          status: [200, 404, 429, 502][i % 4]!,
          ttfbMs: i % 5 === 0 ? null : 3.5,
          stream: i % 2 === 0,
          requestBody: i === 7 ? '{"q":1}' : null,
          responseBody: i === 7 ? "answer" : null,
          ...(i % 4 === 1 ? { app: "billing" } : {}),
          ...(i === 7
            ? {
                errorMessage: "upstream up answered 503",
                dropped: "tools.web_search",
                node: "gw-a",
                servedNode: "gw-b",
                app: "team-a-app",
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
      // Through no app, none: the field reads back absent.
      expect(all.find((r) => r.requestId === "r8")).not.toHaveProperty("app");
      const plain = await audit.select(auditFilterSchema.parse({ order: "asc" }), null, 100);
      expect(plain.find((e) => e.record.requestId === "r7")?.record.requestBody).toBeUndefined();
      for (let i = 1; i < all.length; i++)
        expect(all[i]!.startedAt).toBeGreaterThanOrEqual(all[i - 1]!.startedAt);
      const count = async (filter: Record<string, string>) =>
        (await audit.select(auditFilterSchema.parse(filter), null, 1000)).length;
      expect(await count({ key: "key_1" })).toBe(20);
      expect(await count({ key: "name-2" })).toBe(20);
      // A tenant's admin reads with its own tenant set (admin-routes.ts): no other tenant's row.
      expect(await count({ tenant: "acme" })).toBe(20);
      expect(await count({ tenant: "globex", status: "4xx" })).toBe(10);
      expect(await count({ tenant: "initech" })).toBe(0);
      expect(await count({ route: "worker:w1" })).toBe(12);
      expect(await count({ route: "worker:w1", model: "model-0" })).toBe(6);
      expect(await count({ route: "worker:w1", key: "key_1" })).toBe(4);
      expect(await count({ model: "model-1" })).toBe(30);
      expect(await count({ app: "billing" })).toBe(15);
      expect(await count({ app: "billing", tenant: "acme" })).toBe(5);
      expect(await count({ app: "team-a-app" })).toBe(1);
      expect(await count({ app: "nope" })).toBe(0);
      expect(await count({ status: "4xx" })).toBe(30);
      expect(await count({ status: "502" })).toBe(15);
      expect(await count({ from: String(BASE + 5000), to: String(BASE + 7000) })).toBe(12);
      const desc = await audit.select(auditFilterSchema.parse({}), null, 3);
      expect(desc[0]!.record.startedAt).toBe(BASE + 9000);
    });

    test("audit: bodies are kept byte for byte, a leading byte-order mark included", async () => {
      const { audit } = await fresh();
      const bodies = { requestBody: '\uFEFF{"q":"\uFEFF"}', responseBody: "\uFEFF\uFEFFanswer" };
      expect(await audit.insert([makeRecord({ requestId: "bom", ...bodies })])).toEqual({
        written: 1,
        rejected: 0,
      });
      const [read] = await audit.select(auditFilterSchema.parse({ bodies: true }), null, 10);
      expect(read?.record).toMatchObject(bodies);
    });

    test("audit: a route filter `worker:<name>` selects the worker's rows on every node, forwarded ones included; one naming a node, only those", async () => {
      const { audit } = await fresh();
      const routes = [
        "worker:w1",
        "worker:w1@node-a",
        "worker:w1@node-b",
        "worker:w10@node-a",
        "worker:w_x@node-a",
        "worker:wAx",
        "provider:w1",
        "provider:openai",
      ];
      await audit.insert(
        routes.map((route, i) => makeRecord({ requestId: route, startedAt: 1000 + i, route })),
      );
      const selected = async (route: string) =>
        (await audit.select(auditFilterSchema.parse({ route, order: "asc" }), null, 100)).map(
          (e) => e.record.requestId,
        );
      expect(await selected("worker:w1")).toEqual(["worker:w1", "worker:w1@node-a", "worker:w1@node-b"]);
      expect(await selected("worker:w1@node-b")).toEqual(["worker:w1@node-b"]);
      // A name's `_` is itself, not any one character.
      expect(await selected("worker:w_x")).toEqual(["worker:w_x@node-a"]);
      expect(await selected("worker:w")).toEqual([]);
      expect(await selected("provider:w1")).toEqual(["provider:w1"]);
    });

    test("audit: a front door left out (the web UI's Requests view without the admin API's calls)", async () => {
      const { audit } = await fresh();
      await audit.insert(
        Array.from({ length: 30 }, (_, i) =>
          makeRecord({
            requestId: `f${i}`,
            startedAt: 1000 + i,
            frontDoor: i % 3 === 0 ? "chat" : "admin",
            status: i % 2 ? 200 : 503,
          }),
        ),
      );
      const ids = async (filter: Record<string, string>) =>
        (
          await audit.select(auditFilterSchema.parse({ exclude_front_door: "admin", ...filter }), null, 4)
        ).map((e) => e.record.requestId);
      expect(await ids({})).toEqual(["f27", "f24", "f21", "f18"]);
      // Beside the filters whose values SQLite walks one index range at a time.
      expect(await ids({ key: "key_1" })).toEqual(["f27", "f24", "f21", "f18"]);
      expect(await ids({ status: "5xx" })).toEqual(["f24", "f18", "f12", "f6"]);
      expect(await ids({ status: "200" })).toEqual(["f27", "f21", "f15", "f9"]);
    });

    test("audit: a key filter spelt as an id matches that caller alone, never a name claim spelt like it", async () => {
      const { audit } = await fresh();
      const callers = [
        ["acme-alice", "jwt:acme:alice", "alice"],
        ["posing-jwt", "jwt:default:jwt:acme:alice", "jwt:acme:alice"],
        ["ci-key", "key_abc", "ci"],
        ["posing-key", "jwt:default:key_abc", "key_abc"],
        ["alice-key", "key_def", "alice"],
      ] as const;
      await audit.insert(
        callers.map(([requestId, keyId, keyName], i) =>
          makeRecord({ requestId, startedAt: 1000 + i, keyId, keyName, tenant: "acme" }),
        ),
      );
      const selected = async (filter: Record<string, string>) =>
        (await audit.select(auditFilterSchema.parse({ order: "asc", ...filter }), null, 100)).map(
          (e) => e.record.requestId,
        );
      expect(await selected({ key: "jwt:acme:alice" })).toEqual(["acme-alice"]);
      expect(await selected({ key: "key_abc" })).toEqual(["ci-key"]);
      // Beside a tenant (SQLite then walks the principals' rows one at a time).
      expect(await selected({ key: "key_abc", tenant: "acme" })).toEqual(["ci-key"]);
      expect(await selected({ key: "jwt:acme:alice", status: "200" })).toEqual(["acme-alice"]);
      // A name is every caller of that name; the posing callers by their own ids.
      expect(await selected({ key: "alice" })).toEqual(["acme-alice", "alice-key"]);
      expect(await selected({ key: "jwt:default:key_abc" })).toEqual(["posing-key"]);
    });

    test("audit: a status class holds its own statuses (101, an accepted upgrade, is 1xx, not 2xx)", async () => {
      const { audit } = await fresh();
      await audit.insert(
        [101, 200, 204, 101, 404].map((status, i) => makeRecord({ requestId: `s${i}`, status })),
      );
      const count = async (status: string) =>
        (await audit.select(auditFilterSchema.parse({ status }), null, 10)).length;
      expect([await count("1xx"), await count("2xx"), await count("101"), await count("4xx")]).toEqual([
        2, 2, 2, 1,
      ]);
    });

    test("audit: a record the store refuses is dropped and counted; the rest are written", async () => {
      const { audit } = await fresh();
      const bad = makeRecord({ requestId: "bad", status: { bad: true } as unknown as number });
      const result = await audit.insert([makeRecord(), bad, makeRecord()]);
      // Named, for its log line (audit/refused-rows-log.ts): by what the database said, not the value.
      expect(result).toEqual({
        written: 2,
        rejected: 1,
        refused: [{ requestId: "bad", reason: expect.any(String) }],
      });
      expect((await audit.select(auditFilterSchema.parse({}), null, 10)).length).toBe(2);
    });

    test("audit: a row holding NUL (a model asked for, an upstream's error, a body) is written, not refused and dropped; a filter spelt with it finds it", async () => {
      const { audit } = await fresh();
      const held = [
        makeRecord({ requestId: "model", startedAt: 1, model: "gpt\u0000x" }),
        makeRecord({ requestId: "error", startedAt: 2, errorMessage: "upstream said \u0000" }),
        makeRecord({ requestId: "bodies", startedAt: 3, requestBody: "{\u0000", responseBody: "\u0000" }),
      ];
      expect(await audit.insert(held)).toEqual({ written: 3, rejected: 0 });
      const all = auditFilterSchema.parse({ order: "asc", bodies: "true" });
      // PostgreSQL's text holds no NUL: there it is U+FFFD, as a lone surrogate is on every backend.
      const asStored = (text: string) => (name === "postgres" ? text.replaceAll("\u0000", "\uFFFD") : text);
      expect((await audit.select(all, null, 10)).map((row) => row.record)).toEqual([
        { ...held[0]!, model: asStored("gpt\u0000x"), requestBody: null, responseBody: null },
        {
          ...held[1]!,
          errorMessage: asStored("upstream said \u0000"),
          requestBody: null,
          responseBody: null,
        },
        { ...held[2]!, requestBody: asStored("{\u0000"), responseBody: asStored("\u0000") },
      ]);
      const byModel = await audit.select(auditFilterSchema.parse({ model: "gpt\u0000x" }), null, 10);
      expect(byModel.map((row) => row.record.requestId)).toEqual(["model"]);
    });

    test("audit: alreadyStored finds the rows held by request id and start, one a row, not a reused request id at another time", async () => {
      const { audit } = await fresh();
      expect(await audit.alreadyStored?.([])).toEqual([]);
      await audit.insert([
        makeRecord({ requestId: "a", startedAt: 1000 }),
        makeRecord({ requestId: "b", startedAt: 2000 }),
        makeRecord({ requestId: "outside", startedAt: 9000 }),
      ]);
      const asked = [
        { requestId: "a", startedAt: 1000 },
        { requestId: "b", startedAt: 1500 }, // the same id, another request
        { requestId: "c", startedAt: 2000 },
      ];
      expect(await audit.alreadyStored?.(asked)).toEqual([{ requestId: "a", startedAt: 1000 }]);
      // Another request with that id in that millisecond (a client's own x-request-id): one key a row.
      await audit.insert([makeRecord({ requestId: "a", startedAt: 1000, status: 429 })]);
      expect(await audit.alreadyStored?.(asked)).toEqual([
        { requestId: "a", startedAt: 1000 },
        { requestId: "a", startedAt: 1000 },
      ]);
    });

    test("audit: prune deletes the oldest rows before the cutoff, at most `limit` per call; probe succeeds", async () => {
      const { audit } = await fresh();
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
      const { audit } = await fresh();
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

    test("shadow pairs: inserted whole in batches, listed newest first by page and filter (model, tenant, caller's id), aggregated per model, pruned", async () => {
      const { shadow } = await fresh();
      if (!shadow) throw new Error("this backend has no shadow store");
      // One pair alone, then a batch (one transaction, kept in order), and an empty batch.
      await shadow.insert([shadowPair(1)]);
      await shadow.insert([2, 3, 4].map((i) => shadowPair(i)));
      await shadow.insert([]);
      const page = await shadow.list({}, null, 2);
      expect(page.map((p) => p.id)).toEqual(["pair_4", "pair_3"]);
      expect(page[0]!.shadow.latencyMs).toBe(80);
      // The caller by its id beside its name: the JWT subject apart from the key of its name.
      const listed = await shadow.list({}, null, 10);
      expect(listed.map((p) => p.keyId)).toEqual(["key_ci", "key_ci", "jwt:acme:ci", "key_ci"]);
      expect(listed.find((p) => p.id === "pair_2")).toEqual(shadowPair(2));
      expect((await shadow.list({}, "pair_3", 10)).map((p) => p.id)).toEqual(["pair_2", "pair_1"]);
      // A cursor that names no pair is refused, not read as an empty (or a first) page: a script
      // following a wrong one would loop or stop short, told nothing.
      const refused = await failureOf(shadow.list({}, "garbage", 10));
      expect([refused.status, refused.param, refused.message]).toEqual([
        400,
        "cursor",
        "cursor: names no pair: not a page's next cursor, or its pair was pruned since (leave it out to read from the newest)",
      ]);
      expect((await shadow.list({ model: "a", tenant: "acme" }, null, 10)).map((p) => p.id)).toEqual([
        "pair_2",
        "pair_1",
      ]);
      // Another tenant's pair names no pair of a tenant's pages: refused alike, never used as a
      // position, so the answer does not tell a reader held to acme that other's pair exists.
      const foreign = await failureOf(shadow.list({ tenant: "acme" }, "pair_4", 10));
      expect([foreign.status, foreign.param, foreign.message]).toEqual([
        refused.status,
        refused.param,
        refused.message,
      ]);
      expect((await shadow.list({ tenant: "acme" }, "pair_3", 10)).map((p) => p.id)).toEqual([
        "pair_2",
        "pair_1",
      ]);
      // One caller's, by its id: the key's, never the JWT subject of its name, nor by the name.
      expect((await shadow.list({ keyId: "key_ci" }, null, 10)).map((p) => p.id)).toEqual([
        "pair_4",
        "pair_3",
        "pair_1",
      ]);
      expect((await shadow.list({ keyId: "jwt:acme:ci", model: "a" }, null, 10)).map((p) => p.id)).toEqual([
        "pair_2",
      ]);
      expect(await shadow.list({ keyId: "ci" }, null, 10)).toEqual([]);
      expect((await shadow.aggregate({ keyId: "jwt:acme:ci" })).map((m) => [m.model, m.pairs])).toEqual([
        ["a", 1],
      ]);
      const [a, b] = await shadow.aggregate({ from: 1000, to: 4000 });
      expect(a).toMatchObject({ model: "a", pairs: 2, shadowOk: 1, exactRate: 0.5, primaryCostUsd: 1 });
      expect(a!.meanSimilarity).toBeCloseTo(0.375);
      expect(a!.shadowJsonValidRate).toBeNull();
      expect(b).toMatchObject({ model: "b", pairs: 1, shadowOk: 1, exactRate: 0 });
      expect(await shadow.prune(2500, 10)).toBe(2);
      expect((await shadow.list({}, null, 10)).map((p) => p.id)).toEqual(["pair_4", "pair_3"]);
    });
    test("shadow aggregates: a copy's mean latency is its answered copies'; copies the gateway cut off are left out", async () => {
      const { shadow } = await fresh();
      if (!shadow) throw new Error("this backend has no shadow store");
      const of = (i: number, status: number, errorClass: string | null, latencyMs: number) => {
        const pair = shadowPair(i, { model: "c" });
        return {
          ...pair,
          shadow: { ...pair.shadow, status, errorClass, latencyMs },
          agreement: { ...pair.agreement, similarity: 0.5 },
        };
      };
      await shadow.insert([
        of(1, 200, null, 100),
        of(2, 200, null, 300),
        // Timed out: a failure of the candidate's, counted, its latency the timeout's.
        of(3, 504, "upstream_timeout", 60_000),
        // Cut off by a gateway stop: listed, never counted against the candidate.
        of(4, 503, "unavailable", 5),
        // The candidate's own 503 is its failure.
        of(5, 503, "upstream_error", 7),
      ]);
      expect(await shadow.list({ model: "c" }, null, 10)).toHaveLength(5);
      const [c] = await shadow.aggregate({ model: "c" });
      expect(c).toMatchObject({ model: "c", pairs: 4, shadowOk: 2, shadowLatencyMsMean: 200 });
    });
    test("shadow aggregates: the primary's mean latency and the copy's are over the same pairs, those where both answered (compared)", async () => {
      const { shadow } = await fresh();
      if (!shadow) throw new Error("this backend has no shadow store");
      const none = { exact: null, similarity: null, toolsAgree: null, finishAgrees: null };
      const of = (i: number, primary: [number, number], copy: [number, number], compared: boolean) => {
        const pair = shadowPair(i, { model: "d" });
        return {
          ...pair,
          primary: { ...pair.primary, status: primary[0], latencyMs: primary[1] },
          shadow: { ...pair.shadow, status: copy[0], latencyMs: copy[1] },
          agreement: compared
            ? { ...pair.agreement, exact: true, similarity: 1 }
            : { ...pair.agreement, ...none },
        };
      };
      await shadow.insert([
        of(1, [200, 100], [200, 300], true),
        of(2, [200, 300], [200, 500], true),
        // The client left at once (499): its copy ran on to a whole answer. It was in the
        // primary's mean (its 5 ms) and the copy's 9 s in the copy's, two sets of pairs.
        of(3, [499, 5], [200, 9000], false),
        // The primary answered slowly; its copy timed out.
        of(4, [200, 30_000], [504, 60_000], false),
      ]);
      const [d] = await shadow.aggregate({ model: "d" });
      expect(d).toMatchObject({
        model: "d",
        pairs: 4,
        shadowOk: 3,
        primaryLatencyMsMean: 200,
        shadowLatencyMsMean: 400,
      });
    });
  });
}
