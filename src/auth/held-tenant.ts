import { DEFAULT_TENANT } from "../config/tenant-config.ts";
import type { Principal } from "./principal.ts";

/**
 * The one tenant a caller is held to, or null outside every tenant: `default`, or a tenant an
 * embedder's authenticator named that `tenants:` does not list (`TenantRules.outside`,
 * tenants/bind-tenant.ts), as EMBEDDING.md §3 says it is served. What an admin reads and which keys it
 * manages (key-scope.ts) both follow it.
 */
export const heldTenant = (principal: Principal): string | null =>
  principal.tenant === DEFAULT_TENANT || principal.tenantRules?.outside === true ? null : principal.tenant;
