import { z } from "zod";
import { badRequest } from "./gateway-error.ts";

/**
 * A reader's `?tenant=` (`--tenant`) as asked: empty is absent, every tenant the reader may see,
 * as a form's blank field means it. The one rule for every route and command that reads with it.
 */
export const askedTenant = (value: string | undefined): string | undefined =>
  value === "" ? undefined : value;

/**
 * The `?tenant=` (`--tenant`) of a change to a key by name (revoke, rotate, update): empty is
 * refused, never read as absent, since a script's unset `"$T"` would then change whichever single
 * tenant holds the name. The one rule for every route and command that changes with it.
 */
export function changedTenant(value: string | undefined): string | undefined {
  if (value === "")
    throw badRequest(
      "tenant is empty: name the tenant whose key is meant, or leave tenant out (an empty one is refused on a change, so an unset variable changes no tenant's key)",
      "tenant",
    );
  return value;
}

/** The longest `tenant` an admin query takes (a key's tenant is at most 100 characters). */
export const MOST_TENANT_FILTER = 512;

/** The `tenant` field of an admin query: one tenant's part, empty as absent (`askedTenant`). */
export const tenantFilter = z.string().max(MOST_TENANT_FILTER).transform(askedTenant).optional();

/**
 * The query of a read view whose only filter is the tenant (`GET /admin/api/tenants`, the live
 * event stream): any other parameter is a 400 naming it.
 */
export const tenantQuerySchema = z.strictObject({ tenant: tenantFilter });
