import { describe, expect, test } from "bun:test";
import type { KeyRecord } from "../storage/key-record.ts";
import { limitScopes } from "./limit-scope.ts";
import { principalFromKey } from "./principal.ts";

const record = (overrides: Partial<KeyRecord> = {}): KeyRecord => ({
  id: "key_1",
  hash: "h",
  prefix: "mgw_",
  last4: "abcd",
  name: "bench",
  tenant: "default",
  role: "user",
  models: ["gpt-*", "claude-3"],
  rpm: 60,
  tpm: 1_000,
  budgetUsd: null,
  expiresAt: null,
  revokedAt: null,
  createdAt: 0,
  lastUsedAt: null,
  ...overrides,
});

// Every request loops over these arrays (the model allow-list, the limit scopes). JSC keeps a
// frozen array's elements in its slow storage: a loop over one ran ~10x slower than over a plain
// array, and a `for…of` over one made its function's optimised code be thrown away and compiled
// again and again (docs/BENCHMARKS-HISTORY.md, session 14's bytes a request). `readonly` types
// keep them unwritten instead.
describe("the arrays a request reads on every call are plain arrays", () => {
  test("a key's model allow-list: a copy of the record's, not frozen", () => {
    const models = ["gpt-*"];
    const principal = principalFromKey(record({ models }));
    models.push("claude-3");
    expect(principal.models).toEqual(["gpt-*"]);
    expect(Object.isFrozen(principal.models)).toBe(false);
    expect(Object.isFrozen(principal)).toBe(true);
  });

  test("a key's limit scopes, for admission and for accounting", () => {
    const principal = principalFromKey(record());
    const now = () => 0;
    const admitted = limitScopes(principal, now);
    const accounted = limitScopes(principal, now, true);
    expect(admitted.map((scope) => [scope.subject, scope.rpm, scope.tpm])).toEqual([["key_1", 60, 1_000]]);
    expect(accounted).toBe(admitted);
    expect(Object.isFrozen(admitted)).toBe(false);
  });
});
