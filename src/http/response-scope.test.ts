import { describe, expect, test } from "bun:test";
import type { Principal } from "../auth/principal.ts";
import { formerScope, ownScopes, readableScopes, responseScope } from "./response-scope.ts";

/** When the store stopped writing under free labels (`ResponseStore.labelScopesClosedAt`). */
const CLOSED_AT = 1_000;

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
  caller({ tenantRules: { bound: true, models: ["*"] }, ...over });

describe("responseScope", () => {
  test("members of a configured tenant share the tenant's scope", () => {
    expect(responseScope(member({ tenant: "team-a", keyId: "key_1" }))).toBe("team-a");
    expect(responseScope(member({ tenant: "team-a", keyId: "key_2" }))).toBe("team-a");
    expect(formerScope(member({ tenant: "team-a", keyCreatedAt: 1 }), CLOSED_AT)).toBeUndefined();
  });

  test("outside every tenant, each key and each JWT subject has its own", () => {
    expect(responseScope(caller({ keyId: "key_1" }))).toBe("default/key_1");
    expect(responseScope(caller({ keyId: "key_2" }))).toBe("default/key_2");
    expect(responseScope(caller({ keyId: null, name: "alice", via: "jwt" }))).toBe(
      "default/jwt:default:alice",
    );
    expect(readableScopes(caller({ keyId: "key_1", keyCreatedAt: 1 }), CLOSED_AT)).toEqual(["default/key_1"]);
  });

  test("a rotated key stores under its chain, the first key's id, and reads what it stored under its own id", () => {
    const first = caller({ keyId: "key_1", chain: "key_1" });
    const successor = caller({ keyId: "key_2", chain: "key_1" });
    expect(responseScope(successor)).toBe(responseScope(first));
    expect(responseScope(successor)).toBe("default/key_1");
    expect(ownScopes(successor)).toEqual(["default/key_1", "default/key_2"]);
    expect(ownScopes(first)).toEqual(["default/key_1"]);
    // A member's is its tenant's, then its chain's and its own id's (stored while its tenant was a free label).
    expect(ownScopes(member({ tenant: "team-a", keyId: "key_2", chain: "key_1" }))).toEqual([
      "team-a",
      "default/key_1",
      "default/key_2",
    ]);
  });

  test("a free tenant label (no such tenant configured, or one a reload removed) shares nothing", () => {
    const alice = caller({ tenant: "acme", keyId: "key_alice", keyCreatedAt: 1 });
    const mallory = caller({ tenant: "acme", keyId: "key_mallory" });
    expect(responseScope(alice)).toBe("default/key_alice");
    expect(responseScope(mallory)).toBe("default/key_mallory");
    // Scoped models make every caller carry rules; outside every tenant they are unbound.
    const unbound = caller({
      tenant: "acme",
      tenantRules: { bound: false, models: ["*"], hides: (model) => model === "x" },
    });
    expect(responseScope(unbound)).toBe("default/key_a");
    const jwt = caller({ tenant: "acme", keyId: null, name: "bob", via: "jwt" });
    expect(responseScope(jwt)).toBe("default/jwt:acme:bob");
    // What the label's keys stored under it before is read after their own, by a key that was there.
    expect(readableScopes(alice, CLOSED_AT)).toEqual(["default/key_alice", "acme"]);
    expect(ownScopes(alice)).toEqual(["default/key_alice"]);
  });

  test("a tenant named like a caller's own scope never shares it", () => {
    const squatter = member({ tenant: "default/key_1", keyId: "key_9" });
    expect(responseScope(squatter)).toBe("default/key_9");
    expect(formerScope(squatter, CLOSED_AT)).toBeUndefined();
    const jwt = caller({ tenant: "default/key_1", keyId: null, name: "mallory", via: "jwt" });
    expect(responseScope(jwt)).toBe("default/jwt:default/key_1:mallory");
    expect(readableScopes(jwt, CLOSED_AT)).toEqual(["default/jwt:default/key_1:mallory"]);
  });

  test("a key created after the label stopped being written, a JWT caller, or a store that knows no such time: the label's old rows are not read", () => {
    const late = caller({ tenant: "acme", keyId: "key_mallory", keyCreatedAt: CLOSED_AT });
    expect(readableScopes(late, CLOSED_AT)).toEqual(["default/key_mallory"]);
    const early = caller({ tenant: "acme", keyId: "key_alice", keyCreatedAt: 1 });
    expect(readableScopes(early, undefined)).toEqual(["default/key_alice"]);
    const jwt = caller({ tenant: "acme", keyId: null, name: "bob", via: "jwt" });
    expect(readableScopes(jwt, CLOSED_AT)).toEqual(["default/jwt:acme:bob"]);
  });

  test("a member of a tenant a reload configured since still reads what it stored in its own scope", () => {
    // Stored under default/key_alice while "acme" was a free label; a reload then configured it.
    const alice = member({ tenant: "acme", keyId: "key_alice", keyCreatedAt: 1 });
    expect(responseScope(alice)).toBe("acme");
    expect(ownScopes(alice)).toEqual(["acme", "default/key_alice"]);
    // The label's old shared scope is the tenant's own now: read once.
    expect(readableScopes(alice, CLOSED_AT)).toEqual(["acme", "default/key_alice"]);
    const jwt = member({ tenant: "acme", keyId: null, name: "bob", via: "jwt" });
    expect(readableScopes(jwt, CLOSED_AT)).toEqual(["acme", "default/jwt:acme:bob"]);
  });
});
