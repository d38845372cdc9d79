import { expect, test } from "bun:test";
import { unknownTenantNote } from "./unknown-tenant-note.ts";

test("a tenant neither configured nor the keys' own outside one is noted; default, a configured one and an unanswered list are not", () => {
  expect(unknownTenantNote("nope", ["acme"], "no active key is in tenant nope")).toBe(
    "no active key is in tenant nope, and no tenant of that name is configured (tenants: acme): is --tenant right?",
  );
  expect(unknownTenantNote("default", ["acme"], "no audit row matched --tenant default")).toBeUndefined();
  expect(unknownTenantNote("acme", ["acme"], "no active key is in tenant acme")).toBeUndefined();
  expect(unknownTenantNote("nope", undefined, "no active key is in tenant nope")).toBeUndefined();
});
