import { describe, expect, test } from "bun:test";
import { gatewayErrorOf } from "../testing/gateway-error-of.ts";
import type { Principal, Role } from "./principal.ts";
import {
  allowedModels,
  assertCanManageKeys,
  assertModelAllowed,
  canReach,
  requireArea,
  requireRole,
} from "./roles.ts";

const as = (role: Role, models: string[] = ["*"]): Principal => ({
  keyId: "key_x",
  name: "x",
  tenant: "default",
  role,
  models,
  limits: {},
  via: "key",
});

describe("roles", () => {
  test("admin reaches everything, user only models, worker only the worker endpoint", () => {
    expect(["models", "admin", "worker"].map((a) => canReach(as("admin"), a as "models"))).toEqual([
      true,
      true,
      true,
    ]);
    expect(["models", "admin", "worker"].map((a) => canReach(as("user"), a as "models"))).toEqual([
      true,
      false,
      false,
    ]);
    expect(["models", "admin", "worker"].map((a) => canReach(as("worker"), a as "models"))).toEqual([
      false,
      false,
      true,
    ]);
    const error = gatewayErrorOf(() => requireArea(as("worker"), "models"));
    expect([error.status, error.code]).toEqual([403, "forbidden"]);
    // The credential's role does not change on a retry: the SDKs and Claude Code are told not to.
    expect(error.headers).toEqual({ "x-should-retry": "false" });
    requireRole(as("admin"), "admin", "user");
    expect(gatewayErrorOf(() => requireRole(as("user"), "admin")).status).toBe(403);
  });

  test("a model outside the allow-list is the 404 of a missing one; /v1/models lists only allowed names", () => {
    const user = as("user", ["gpt-*", "llama-3.1-8b"]);
    assertModelAllowed(user, "gpt-4o-mini");
    const error = gatewayErrorOf(() => assertModelAllowed(user, "claude-3"));
    expect([error.status, error.code, error.message]).toEqual([
      404,
      "model_not_found",
      "The model `claude-3` does not exist or you do not have access to it.",
    ]);
    expect(allowedModels(user, ["gpt-4o", "claude-3", "llama-3.1-8b", "llama-3.1-70b"])).toEqual([
      "gpt-4o",
      "llama-3.1-8b",
    ]);
  });

  test("only admins and the local operator manage keys", () => {
    assertCanManageKeys("local-operator");
    assertCanManageKeys(as("admin"));
    expect(gatewayErrorOf(() => assertCanManageKeys(as("user"))).status).toBe(403);
    expect(gatewayErrorOf(() => assertCanManageKeys(as("worker"))).status).toBe(403);
  });
});
