import { forbidden, modelNotFound } from "../core/gateway-error.ts";
import type { ListedModels } from "./policy.ts";
import { canUseModel, type Principal, type Role } from "./principal.ts";

/**
 * The parts of the HTTP surface a role may reach. `admin` reaches all of them; `user` only
 * the model APIs (within its allow-list); `worker` only the worker endpoint. `metrics` is
 * `/metrics` on the main listener, outside `/admin`.
 */
export type Area = "models" | "admin" | "worker" | "metrics";

const AREAS: Record<Role, readonly Area[]> = {
  admin: ["models", "admin", "worker", "metrics"],
  user: ["models"],
  worker: ["worker"],
};

export function canReach(principal: Principal, area: Area): boolean {
  // A web UI session (cookie) is for /admin only: it is never a model, worker or metrics credential.
  if (principal.via === "session") return area === "admin";
  return AREAS[principal.role].includes(area);
}

/** Throws 403 unless the principal's role may reach this area. */
export function requireArea(principal: Principal, area: Area): void {
  if (!canReach(principal, area)) throw forbidden(`this credential may not use the ${area} API`);
}

/** Throws 403 unless the principal holds one of the roles. */
export function requireRole(principal: Principal, ...roles: Role[]): void {
  if (!roles.includes(principal.role)) throw forbidden("this credential lacks the required role");
}

/**
 * Throws 404 `model_not_found` when the model is outside the principal's allow-list (its key's,
 * its app's, its tenant's, or scoped to another tenant): the same answer as a model the gateway
 * does not route, so a key cannot learn which names exist beyond its own. Applies to every role:
 * an admin key created with a narrow list is narrow on purpose.
 */
export function assertModelAllowed(principal: Principal, model: string): void {
  if (!canUseModel(principal, model)) throw modelNotFound(model);
}

/**
 * The names `/v1/models` may list for this principal: those its allow-lists admit and, when given,
 * `listed` too (the limits policy's `Policy.lists`: not a model with no price under its budget,
 * which every call would be refused).
 */
export function allowedModels(
  principal: Principal,
  names: readonly string[],
  listed?: (principal: Principal) => ListedModels | undefined,
): string[] {
  const shown = listed?.(principal);
  return names.filter((name) => canUseModel(principal, name) && (shown === undefined || shown(name)));
}

/**
 * Who performs a key operation: a principal (HTTP, `/admin/api/keys`) or the local operator
 * running `mindgw keys -c` with access to the store file, who is trusted like an admin.
 */
export type KeyActor = Principal | "local-operator";

/**
 * Key management is admin-only. So a non-admin can never create a key, widen one (models,
 * limits, budget) or change a role, its own included; there is no self-service path.
 */
export function assertCanManageKeys(actor: KeyActor): void {
  if (actor === "local-operator") return;
  if (actor.role !== "admin") throw forbidden("only an admin may manage keys");
}
