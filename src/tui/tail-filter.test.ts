import { describe, expect, test } from "bun:test";
import {
  type FilterSubject,
  formatFilter,
  isEmptyFilter,
  matchesFilter,
  parseFilter,
} from "./tail-filter.ts";

const row = (over: Partial<FilterSubject> = {}): FilterSubject => ({
  model: "gpt-4o",
  keyId: "key_1",
  keyName: "alice",
  route: "worker:gpu1",
  status: 200,
  ...over,
});

describe("parseFilter", () => {
  test("reads every field; route values keep their colons", () => {
    expect(parseFilter("model:gpt-4o key:alice status:5xx route:worker:gpu1 app:billing")).toEqual({
      ok: true,
      filter: { model: "gpt-4o", key: "alice", status: "5xx", route: "worker:gpu1", app: "billing" },
    });
  });

  test("empty text clears", () => {
    expect(parseFilter("   ")).toEqual({ ok: true, filter: {} });
  });

  test("rejects unknown fields, empty values and bad statuses", () => {
    expect(parseFilter("colour:red").ok).toBe(false);
    expect(parseFilter("gpt-4o").ok).toBe(false);
    expect(parseFilter("model:").ok).toBe(false);
    const bad = parseFilter("status:6xx");
    expect(bad.ok ? "" : bad.error).toContain("5xx");
    expect(parseFilter("status:99").ok).toBe(false);
    expect(parseFilter("status:429").ok).toBe(true);
    expect(parseFilter("status:1xx").ok).toBe(true);
    expect(parseFilter("status:0xx").ok).toBe(false);
  });

  test("formatFilter round-trips", () => {
    const filter = { model: "llama-*", status: "429" };
    expect(formatFilter(filter)).toBe("model:llama-* status:429");
    expect(parseFilter(formatFilter(filter))).toEqual({ ok: true, filter });
    expect(isEmptyFilter({})).toBe(true);
    expect(isEmptyFilter(filter)).toBe(false);
  });
});

describe("matchesFilter", () => {
  test("an empty filter matches everything, in-flight rows included", () => {
    expect(matchesFilter({}, row({ status: null, route: null }))).toBe(true);
  });

  test("globs are case-insensitive and anchored", () => {
    expect(matchesFilter({ model: "GPT-*" }, row())).toBe(true);
    expect(matchesFilter({ model: "gpt" }, row())).toBe(false);
    expect(matchesFilter({ model: "gpt.4o" }, row())).toBe(false);
    expect(matchesFilter({ route: "worker:*" }, row())).toBe(true);
    expect(matchesFilter({ key: "bob" }, row())).toBe(false);
    expect(matchesFilter({ key: "alice" }, row({ keyName: null }))).toBe(false);
  });

  test("app: a glob on the app the request came through; a request at the root's front door has none", () => {
    expect(matchesFilter({ app: "billing" }, row({ app: "billing" }))).toBe(true);
    expect(matchesFilter({ app: "team-*" }, row({ app: "team-a" }))).toBe(true);
    expect(matchesFilter({ app: "billing" }, row({ app: "team-a" }))).toBe(false);
    expect(matchesFilter({ app: "*" }, row({ app: null }))).toBe(false);
    expect(matchesFilter({ app: "*" }, row())).toBe(false);
    expect(matchesFilter({}, row({ app: null }))).toBe(true);
  });

  test("key matches a caller's name or its id: a JWT subject apart from a key of its name", () => {
    const key = row({ keyId: "key_1", keyName: "dup" });
    const jwt = row({ keyId: "jwt:default:dup", keyName: "dup" });
    expect([key, jwt].map((r) => matchesFilter({ key: "dup" }, r))).toEqual([true, true]);
    expect([key, jwt].map((r) => matchesFilter({ key: "jwt:default:dup" }, r))).toEqual([false, true]);
    expect([key, jwt].map((r) => matchesFilter({ key: "jwt:*" }, r))).toEqual([false, true]);
    expect([key, jwt].map((r) => matchesFilter({ key: "key_1" }, r))).toEqual([true, false]);
    // An older gateway's started event has no id: its name alone is matched.
    expect(matchesFilter({ key: "dup" }, { ...key, keyId: undefined })).toBe(true);
  });

  test("key spelt as an id matches ids alone: a name claim spelt like another caller's id is not that caller", () => {
    const acme = row({ keyId: "jwt:acme:alice", keyName: "alice" });
    const posing = row({ keyId: "jwt:default:jwt:acme:alice", keyName: "jwt:acme:alice" });
    const key = row({ keyId: "key_abc", keyName: "ci" });
    const keyPosing = row({ keyId: "jwt:default:key_abc", keyName: "key_abc" });
    const shown = (key: string) => [acme, posing].map((r) => matchesFilter({ key }, r));
    expect(shown("jwt:acme:alice")).toEqual([true, false]);
    expect(shown("JWT:ACME:*")).toEqual([true, false]);
    expect([key, keyPosing].map((r) => matchesFilter({ key: "key_abc" }, r))).toEqual([true, false]);
    expect([key, keyPosing].map((r) => matchesFilter({ key: "key_*" }, r))).toEqual([true, false]);
    // The posing caller is still found by its own id.
    expect(matchesFilter({ key: "jwt:default:*" }, posing)).toBe(true);
  });

  test("status by class or exact code; in-flight rows have none", () => {
    expect(matchesFilter({ status: "2xx" }, row())).toBe(true);
    expect(matchesFilter({ status: "5XX" }, row({ status: 502 }))).toBe(true);
    expect(matchesFilter({ status: "4xx" }, row({ status: 502 }))).toBe(false);
    expect(matchesFilter({ status: "429" }, row({ status: 429 }))).toBe(true);
    expect(matchesFilter({ status: "429" }, row({ status: 428 }))).toBe(false);
    expect(matchesFilter({ status: "2xx" }, row({ status: null }))).toBe(false);
    // A WebSocket's accepted upgrade is no 2xx answer.
    expect(matchesFilter({ status: "1xx" }, row({ status: 101 }))).toBe(true);
    expect(matchesFilter({ status: "2xx" }, row({ status: 101 }))).toBe(false);
  });
});
