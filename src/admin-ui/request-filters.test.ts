import { describe, expect, test } from "bun:test";
import { makeRecord } from "../audit/audit-fixture.ts";
import { matchesFilters, NO_FILTERS, toQuery } from "./request-filters.ts";

describe("the Requests page's filters", () => {
  test("the admin API's own calls are left out unless shown, in the query and in live mode alike", () => {
    expect(toQuery(NO_FILTERS).toString()).toBe("exclude_front_door=admin");
    expect(toQuery({ ...NO_FILTERS, showAdmin: true }).toString()).toBe("");
    const admin = makeRecord({ frontDoor: "admin" });
    const chat = makeRecord({ frontDoor: "chat" });
    expect([admin, chat].map((r) => matchesFilters(r, NO_FILTERS))).toEqual([false, true]);
    expect([admin, chat].map((r) => matchesFilters(r, { ...NO_FILTERS, showAdmin: true }))).toEqual([
      true,
      true,
    ]);
  });

  test("live mode's route filter reads as the server's: a worker's name takes its forwarded rows too", () => {
    const rows = ["worker:w1", "worker:w1@node-b", "worker:w10@node-b", "provider:openai"].map((route) =>
      makeRecord({ route }),
    );
    const shown = (route: string) =>
      rows.filter((r) => matchesFilters(r, { ...NO_FILTERS, route })).map((r) => r.route);
    expect(shown("worker:w1")).toEqual(["worker:w1", "worker:w1@node-b"]);
    expect(shown("worker:w1@node-b")).toEqual(["worker:w1@node-b"]);
    expect(shown("provider:openai")).toEqual(["provider:openai"]);
  });

  test("the app filter: in the query, and in live mode only the rows through that app", () => {
    expect(toQuery({ ...NO_FILTERS, app: " billing ", showAdmin: true }).toString()).toBe("app=billing");
    const rows = [makeRecord({ app: "billing" }), makeRecord({ app: "team-a" }), makeRecord({})];
    expect(rows.map((r) => matchesFilters(r, { ...NO_FILTERS, app: "billing" }))).toEqual([
      true,
      false,
      false,
    ]);
    expect(rows.map((r) => matchesFilters(r, NO_FILTERS))).toEqual([true, true, true]);
  });

  test("live mode's key filter reads as the server's: an id matches that caller alone, not a name spelt like it", () => {
    const acme = makeRecord({ keyId: "jwt:acme:alice", keyName: "alice" });
    const posing = makeRecord({ keyId: "jwt:default:jwt:acme:alice", keyName: "jwt:acme:alice" });
    const key = makeRecord({ keyId: "key_abc", keyName: "alice" });
    const shown = (filter: string) =>
      [acme, posing, key].map((r) => matchesFilters(r, { ...NO_FILTERS, key: filter }));
    expect(shown("jwt:acme:alice")).toEqual([true, false, false]);
    expect(shown("key_abc")).toEqual([false, false, true]);
    expect(shown("alice")).toEqual([true, false, true]);
  });
});
