import { describe, expect, test } from "bun:test";
import { makeRecord } from "../audit/audit-fixture.ts";
import { type AuditFilters, matchesFilters, toQuery } from "./request-filters.ts";

const NONE: AuditFilters = { key: "", model: "", route: "", status: "", from: "", to: "", showAdmin: false };

describe("the Requests page's filters", () => {
  test("the admin API's own calls are left out unless shown, in the query and in live mode alike", () => {
    expect(toQuery(NONE).toString()).toBe("exclude_front_door=admin");
    expect(toQuery({ ...NONE, showAdmin: true }).toString()).toBe("");
    const admin = makeRecord({ frontDoor: "admin" });
    const chat = makeRecord({ frontDoor: "chat" });
    expect([admin, chat].map((r) => matchesFilters(r, NONE))).toEqual([false, true]);
    expect([admin, chat].map((r) => matchesFilters(r, { ...NONE, showAdmin: true }))).toEqual([true, true]);
  });
});
