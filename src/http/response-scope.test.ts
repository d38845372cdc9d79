import { describe, expect, test } from "bun:test";
import type { Principal } from "../auth/principal.ts";
import { responseScope } from "./response-scope.ts";

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

describe("responseScope", () => {
  test("members of a tenant share the tenant's scope", () => {
    expect(responseScope(caller({ tenant: "team-a", keyId: "key_1" }))).toBe("team-a");
    expect(responseScope(caller({ tenant: "team-a", keyId: "key_2" }))).toBe("team-a");
  });

  test("outside every tenant, each key and each JWT subject has its own", () => {
    expect(responseScope(caller({ keyId: "key_1" }))).toBe("default/key_1");
    expect(responseScope(caller({ keyId: "key_2" }))).toBe("default/key_2");
    expect(responseScope(caller({ keyId: null, name: "alice", via: "jwt" }))).toBe(
      "default/jwt:default:alice",
    );
  });

  test("a tenant named like a caller's own scope never shares it", () => {
    const squatter = caller({ tenant: "default/key_1", keyId: "key_9" });
    expect(responseScope(squatter)).toBe("default/key_9");
    const jwt = caller({ tenant: "default/key_1", keyId: null, name: "mallory", via: "jwt" });
    expect(responseScope(jwt)).toBe("default/jwt:default/key_1:mallory");
  });
});
