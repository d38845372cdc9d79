import { printable } from "../../core/printable.ts";

/**
 * A note for `keys list --tenant NAME` that listed nothing, when NAME is no configured tenant: a
 * mistyped tenant read as an empty one. A note, not a refusal: a tenant removed from the config
 * keeps its keys, and a JWT tenant need not be configured. `configured` undefined (the gateway
 * would not say): no note.
 */
export function unknownTenantNote(
  tenant: string,
  configured: readonly string[] | undefined,
  includeRevoked: boolean,
): string | undefined {
  if (configured === undefined || configured.includes(tenant)) return undefined;
  const names = configured.length === 0 ? "none" : configured.map(printable).join(", ");
  return `no ${includeRevoked ? "" : "active "}key is in tenant ${printable(tenant)}, and no tenant of that name is configured (tenants: ${names}): is --tenant right?`;
}
