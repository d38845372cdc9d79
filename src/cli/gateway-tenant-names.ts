import { adminFetch } from "./admin-fetch.ts";

/**
 * A gateway's configured tenants (`/admin/api/tenants`), read for a note alone
 * (core/unknown-tenant-note.ts): a refusal (a tenant's key reading another's) leaves the note out,
 * not the command.
 */
export function gatewayTenantNames(
  gateway: string,
  adminKey: string,
): Promise<readonly string[] | undefined> {
  return adminFetch<{ tenants: { name: string }[] }>(gateway, adminKey, {
    path: "/admin/api/tenants",
    holds: "tenants",
  }).then(
    (answer) => answer.tenants.map((t) => t.name),
    () => undefined,
  );
}
