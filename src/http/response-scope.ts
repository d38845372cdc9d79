import { limitSubject, type Principal } from "../auth/principal.ts";
import { DEFAULT_TENANT } from "../config/tenant-config.ts";

/** Scopes of callers outside every tenant start with this; no tenant's scope does. */
const OWN_SCOPE_PREFIX = `${DEFAULT_TENANT}/`;

/**
 * Whose stored responses (`/v1/responses` store, `previous_response_id`, GET/DELETE by id) a
 * caller shares: the members of a tenant share their tenant's; a caller outside every tenant has
 * its own, `default/<key id>` for a key and `default/jwt:<tenant>:<subject>` for a JWT caller (the
 * subject limits count under). It goes in the stores' `tenant` column, so no schema changes. A
 * tenant named with the prefix (a JWT's tenant claim is free text) is treated as outside every
 * tenant too, so no tenant's scope can ever equal a caller's own. A rotated key has a new id and so
 * a new scope: its chains start afresh (the old key reads its own during the grace window).
 */
export function responseScope(principal: Principal): string {
  const tenant = principal.tenant;
  if (tenant !== DEFAULT_TENANT && !tenant.startsWith(OWN_SCOPE_PREFIX)) return tenant;
  return `${OWN_SCOPE_PREFIX}${limitSubject(principal)}`;
}
