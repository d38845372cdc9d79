import { expect, test } from "bun:test";
import { makeRecord } from "../../audit/audit-fixture.ts";
import { parseConfig } from "../../config/load-config.ts";
import { spendOf } from "./import-spend.ts";

// 2026-11-30T23:59:59.900Z: a request that finished in December counts to December's budget.
const lateInNovember = Date.UTC(2026, 10, 30, 23, 59, 59, 900);

test("each row's cost goes to its key's total, and its tenant's day and month when the config gives the tenant rules", () => {
  const config = parseConfig({ tenants: [{ name: "acme", budget: { usd: 10, per: "day" } }] });
  const deltas = spendOf(
    [
      makeRecord({
        keyId: "key_1",
        tenant: "acme",
        costUsd: 0.25,
        startedAt: lateInNovember,
        latencyMs: 200,
      }),
      makeRecord({
        keyId: "key_1",
        tenant: "acme",
        costUsd: 0.5,
        startedAt: lateInNovember - 1000,
        latencyMs: 5,
      }),
      // A JWT caller: no key id, its subject by name.
      makeRecord({ keyId: null, keyName: "bob", tenant: "globex", costUsd: 1 }),
      // Nothing to count: no cost, or no caller.
      makeRecord({ keyId: "key_2", costUsd: 0 }),
      makeRecord({ keyId: null, keyName: null, tenant: null, costUsd: 3 }),
    ],
    config,
  );
  expect(Object.fromEntries(deltas)).toEqual({
    key_1: 0.75,
    "tenant:acme:2026-12-01": 0.25,
    "tenant:acme:2026-12": 0.25,
    "tenant:acme:2026-11-30": 0.5,
    "tenant:acme:2026-11": 0.5,
    "jwt:globex:bob": 1,
  });
});

test("without tenant rules a tenant has no total of its own; without a budget, its day and month still count", () => {
  const record = makeRecord({ keyId: "key_1", tenant: "acme", costUsd: 2, startedAt: lateInNovember });
  expect(Object.fromEntries(spendOf([record], parseConfig({})))).toEqual({ key_1: 2 });
  const unbudgeted = parseConfig({ tenants: [{ name: "acme" }] });
  expect(Object.fromEntries(spendOf([record], unbudgeted))).toEqual({
    key_1: 2,
    "tenant:acme:2026-11-30": 2,
    "tenant:acme:2026-11": 2,
  });
});
