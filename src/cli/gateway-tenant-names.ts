import { z } from "zod";
import { adminFetch } from "./admin-fetch.ts";

/** The names in a tenants answer, as every gateway's holds them (answered-shape.ts). */
const answeredNames = () => z.object({ tenants: z.array(z.object({ name: z.string() })) });

/**
 * A gateway's configured tenants (`/admin/api/tenants`), read for a note alone
 * (core/unknown-tenant-note.ts): a refusal (a tenant's key reading another's), or an answer that
 * is no gateway's (`{"tenants":5}`, which ended the command on a script error), leaves the note
 * out, not the command.
 */
export function gatewayTenantNames(
  gateway: string,
  adminKey: string,
): Promise<readonly string[] | undefined> {
  return adminFetch<{ tenants: { name: string }[] }>(gateway, adminKey, {
    path: "/admin/api/tenants",
    holds: "tenants",
    shape: answeredNames(),
  }).then(
    (answer) => answer.tenants.map((t) => t.name),
    () => undefined,
  );
}
