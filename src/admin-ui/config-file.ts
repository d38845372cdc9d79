/**
 * What a reply leaves out for an admin in a tenant (gateway-wide: admin-status.ts,
 * http/admin/tenant-routing.ts) is said to be hidden, never shown as if it were absent ("embedded
 * defaults", "none since start").
 */
export const HIDDEN = "hidden (gateway-wide)";

/**
 * The config file as a page names it, from a reply's `config` (the status's, the routing table's):
 * its path; "embedded defaults" when it has none (null); hidden when the reply leaves it out.
 */
export function configFile(config: { readonly path?: string | null } | undefined): string {
  if (!config) return "–";
  if (config.path === undefined) return HIDDEN;
  return config.path ?? "embedded defaults";
}
