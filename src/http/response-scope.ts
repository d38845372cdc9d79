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
 * changes. A rotated key has a new id and so a new scope: its chains start afresh (the old key
 * reads its own during the grace window).
 */
export function responseScope(principal: Principal): string {
  return sharesTenant(principal) ? principal.tenant : `${OWN_SCOPE_PREFIX}${limitSubject(principal)}`;
}

/**
 * The scope a caller outside every configured tenant stored its responses under before it was
 * per caller: its free tenant label (every key with that label shared it), or a tenant a reload
 * removed since. Read (and deleted from) after the caller's own scope, so no one loses what it
 * stored; nothing new is stored there. Undefined when there is none.
 */
export function formerScope(principal: Principal): string | undefined {
  const tenant = principal.tenant;
  if (sharesTenant(principal) || tenant === DEFAULT_TENANT || tenant.startsWith(OWN_SCOPE_PREFIX))
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

/** The scopes a caller's stored responses are read in: its own, then its `formerScope`. */
export function readableScopes(principal: Principal): readonly string[] {
  const former = formerScope(principal);
  const own = responseScope(principal);
  return former ? [own, former] : [own];
}

/** What `read` finds in the first of the caller's `readableScopes` that holds it; else null. */
export async function readInScopes<T>(
  principal: Principal,
  read: (scope: string) => Promise<T | null>,
): Promise<T | null> {
  for (const scope of readableScopes(principal)) {
    const found = await read(scope);
    if (found !== null) return found;
  }
  return null;
}
