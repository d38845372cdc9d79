import { limitSubject, type Principal } from "../auth/principal.ts";
import { DEFAULT_TENANT } from "../config/tenant-config.ts";

/** Scopes of callers outside every tenant start with this; no tenant's scope does. */
const OWN_SCOPE_PREFIX = `${DEFAULT_TENANT}/`;

/**
 * Whose stored responses (`/v1/responses` store, `previous_response_id`, `item_reference`,
 * GET/DELETE by id) a caller shares: the members of a configured tenant (`tenants:`) share their
 * tenant's; every other caller has its own, `default/<key id>` for a key and
 * `default/jwt:<tenant>:<subject>` for a JWT caller (the subject limits count under). A tenant
 * that is not configured is a free label (a key's `tenant`, a JWT's tenant claim): it makes
 * nobody a member, so it shares nothing. It goes in the stores' `tenant` column, so no schema
 * changes. A key stores under its rotation chain (`Principal.chain`, its first key's id): a
 * rotation's new key is the same caller's, as for its spend, and goes on with what the old one
 * stored, the old key in its grace window with what the new one stores.
 */
export function responseScope(principal: Principal): string {
  return sharesTenant(principal) ? principal.tenant : chainScope(principal);
}

/** The scope the caller stores in when it is in no configured tenant: its alone, whatever its label. */
const chainScope = (principal: Principal): string =>
  `${OWN_SCOPE_PREFIX}${principal.chain ?? limitSubject(principal)}`;

/**
 * The scope of the caller's own id: where a key stored before its chain was its scope (a key a
 * rotation issued, before this release), read still by that key, and by it alone: the key a later
 * rotation issues reads the chain's scope and its own, not this one (no migration moves the rows;
 * docs/CLIENTS.md says so).
 */
const ownScope = (principal: Principal): string => `${OWN_SCOPE_PREFIX}${limitSubject(principal)}`;

/**
 * The scope a key outside every configured tenant stored its responses under before they were per
 * caller: its free tenant label, which every key with that label shared (or a tenant a reload
 * removed since). Only a key created before `labelsClosedAt` (when the store stopped writing
 * there: `ResponseStore.labelScopesClosedAt`) reads it: one created after never stored there, and
 * must not read what the label's other keys did. A JWT caller proves no creation time, so it never
 * does; neither does any caller when the store knows no such time. Undefined when there is none.
 */
export function formerScope(principal: Principal, labelsClosedAt: number | undefined): string | undefined {
  const tenant = principal.tenant;
  if (sharesTenant(principal) || tenant === DEFAULT_TENANT || tenant.startsWith(OWN_SCOPE_PREFIX))
    return undefined;
  const createdAt = principal.keyCreatedAt;
  if (labelsClosedAt === undefined || createdAt === undefined || createdAt >= labelsClosedAt)
    return undefined;
  return tenant;
}

/**
 * A member of a configured tenant. A tenant named with the prefix (a JWT's tenant claim is free
 * text) never is, so no tenant's scope can ever equal a caller's own.
 */
const sharesTenant = (principal: Principal): boolean =>
  principal.tenantRules?.bound === true &&
  principal.tenant !== DEFAULT_TENANT &&
  !principal.tenant.startsWith(OWN_SCOPE_PREFIX);

/**
 * The scopes the caller's own stored responses are in: where it stores now, then its key's chain
 * and its key's own id, which a member of a tenant a reload configured since stored under while
 * the tenant was a free label, and a rotated key before chains were scopes (reading one's own
 * scope is always safe).
 */
export function ownScopes(principal: Principal): readonly string[] {
  return [...new Set([responseScope(principal), chainScope(principal), ownScope(principal)])];
}

/**
 * The scopes a caller's stored responses are read (and deleted) in: its `ownScopes`, then its
 * `formerScope`. An item's id is looked up in `ownScopes` alone (items-in-scope.ts): in the
 * label's old rows, an upstream's item id would find the item of any key that shared the label.
 */
export function readableScopes(principal: Principal, labelsClosedAt: number | undefined): readonly string[] {
  const former = formerScope(principal, labelsClosedAt);
  const own = ownScopes(principal);
  return former && !own.includes(former) ? [...own, former] : own;
}

/** What `read` finds in the first of `scopes` that holds it; else null. */
export async function readInScopes<T>(
  scopes: readonly string[],
  read: (scope: string) => Promise<T | null>,
): Promise<T | null> {
  for (const scope of scopes) {
    const found = await read(scope);
    if (found !== null) return found;
  }
  return null;
}
