import { printable } from "./printable.ts";

/**
 * A note for a `--tenant NAME` that found nothing (`keys list`, `audit query`), or reads a live view
 * (`tail`), when NAME is no configured tenant: a mistyped tenant read as an empty one. A note, not a
 * refusal: a tenant removed from the config keeps its keys and rows, and a JWT tenant need not be
 * configured. `nothingFound` says what was looked for; `configured` undefined (the gateway would not
 * say): no note.
 */
export function unknownTenantNote(
  tenant: string,
  configured: readonly string[] | undefined,
  nothingFound: string,
): string | undefined {
  // `default` is the tenant of every key outside one (config/tenant-config.ts), configured or not.
  if (configured === undefined || tenant === "default" || configured.includes(tenant)) return undefined;
  const names = configured.length === 0 ? "none" : configured.map(printable).join(", ");
  return `${nothingFound}, and no tenant of that name is configured (tenants: ${names}): is --tenant right?`;
}
