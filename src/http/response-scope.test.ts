import { describe, expect, test } from "bun:test";
import type { Principal } from "../auth/principal.ts";
import { formerScope, readableScopes, responseScope } from "./response-scope.ts";

const caller = (over: Partial<Principal>): Principal => ({
  keyId: "key_a",
  name: "app",
  tenant: "default",
  role: "user",
  models: ["*"],
  limits: {},
  via: "key",
  ...over,
});

/** A member of a configured tenant (`tenants:` names it). */
const member = (over: Partial<Principal>): Principal =>
  caller({ tenantRules: { bound: true, models: ["*"], hidden: [] }, ...over });

describe("responseScope", () => {
  test("members of a configured tenant share the tenant's scope", () => {
    expect(responseScope(member({ tenant: "team-a", keyId: "key_1" }))).toBe("team-a");
    expect(responseScope(member({ tenant: "team-a", keyId: "key_2" }))).toBe("team-a");
    expect(formerScope(member({ tenant: "team-a" }))).toBeUndefined();
  });

  test("outside every tenant, each key and each JWT subject has its own", () => {
    expect(responseScope(caller({ keyId: "key_1" }))).toBe("default/key_1");
    expect(responseScope(caller({ keyId: "key_2" }))).toBe("default/key_2");
    expect(responseScope(caller({ keyId: null, name: "alice", via: "jwt" }))).toBe(
      "default/jwt:default:alice",
    );
    expect(readableScopes(caller({ keyId: "key_1" }))).toEqual(["default/key_1"]);
  });

  test("a free tenant label (no such tenant configured, or one a reload removed) shares nothing", () => {
    const alice = caller({ tenant: "acme", keyId: "key_alice" });
    const mallory = caller({ tenant: "acme", keyId: "key_mallory" });
    expect(responseScope(alice)).toBe("default/key_alice");
    expect(responseScope(mallory)).toBe("default/key_mallory");
    // Scoped models make every caller carry rules; outside every tenant they are unbound.
    const unbound = caller({ tenant: "acme", tenantRules: { bound: false, models: ["*"], hidden: ["x"] } });
    expect(responseScope(unbound)).toBe("default/key_a");
    const jwt = caller({ tenant: "acme", keyId: null, name: "bob", via: "jwt" });
    expect(responseScope(jwt)).toBe("default/jwt:acme:bob");
    // What the label's keys stored under it before is read after their own.
    expect(readableScopes(alice)).toEqual(["default/key_alice", "acme"]);
  });

  test("a tenant named like a caller's own scope never shares it", () => {
    const squatter = member({ tenant: "default/key_1", keyId: "key_9" });
    expect(responseScope(squatter)).toBe("default/key_9");
    expect(formerScope(squatter)).toBeUndefined();
    const jwt = caller({ tenant: "default/key_1", keyId: null, name: "mallory", via: "jwt" });
    expect(responseScope(jwt)).toBe("default/jwt:default/key_1:mallory");
    expect(readableScopes(jwt)).toEqual(["default/jwt:default/key_1:mallory"]);
  });
});
