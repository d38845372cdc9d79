import { DEFAULT_TENANT } from "../config/tenant-config.ts";
import { shown } from "../core/cut-words.ts";
import { badRequest } from "../core/gateway-error.ts";
import { keyInputSchemas } from "./key-admin-schemas.ts";
import { expiryAhead, parseKeyInput } from "./key-input.ts";
import { expiryOf } from "./key-limits.ts";
import type { KeySettings } from "./key-rotation.ts";
import { assertWithinScope, homeTenant } from "./key-scope.ts";
import { assertCanManageKeys, type KeyActor } from "./roles.ts";

/** Refuses a tenant that `tenants:` does not list, once it lists any (`KeyAdminOptions.tenants`). */
export function knownTenant(tenant: string, known: readonly string[]): void {
  if (known.length === 0 || tenant === DEFAULT_TENANT || known.includes(tenant)) return;
  throw badRequest(
    `tenant: "${shown(tenant)}" is not a configured tenant; known tenants: ${known.join(", ")} (or "${DEFAULT_TENANT}" for a key outside every tenant)`,
    "tenant",
  );
}

/**
 * The key `create` would issue for `input`, at `now`, with `tenants` configured: every check made
 * (the actor's role, the input, its expiry, the actor's reach, the tenant), nothing stored. Each
 * refusal is the 400 (or 403) `create` answers. `mindgw keys create -c` checks with it before it
 * makes a database, which a refused key would leave behind empty.
 */
export function keyToCreate(
  actor: KeyActor,
  input: unknown,
  { now, tenants }: { now: number; tenants: readonly string[] },
): KeySettings {
  assertCanManageKeys(actor);
  const fields = expiryAhead(parseKeyInput(keyInputSchemas().create, input), now);
  // No tenant given: the admin's own (an admin in a tenant mints only into it).
  const tenant = fields.tenant ?? homeTenant(actor);
  const reach = {
    tenant,
    models: fields.models,
    rpm: fields.rpm,
    tpm: fields.tpm,
    budgetUsd: fields.budget_usd,
    expiresAt: expiryOf(fields, now) ?? null,
  };
  assertWithinScope(actor, reach, "create");
  knownTenant(tenant, tenants);
  return { ...reach, name: fields.name, role: fields.role, revokedAt: null, lastUsedAt: null };
}
