import { Elysia } from "elysia";
import type { TenantConfig } from "../../config/tenant-config.ts";
import type { AuditStore } from "../../storage/storage.ts";
import { readScope } from "../../tenants/read-scope.ts";
import { tenantReports } from "../../tenants/tenant-usage.ts";
import { clientIpOf } from "../client-of.ts";
import type { createFrontDoor } from "../front-door.ts";

export interface TenantRoutesDeps {
  readonly guard: ReturnType<typeof createFrontDoor>["guard"];
  /** The tenants of the current config. */
  readonly tenants: () => readonly TenantConfig[];
  /** The audit log, where usage is counted. */
  readonly audit: AuditStore;
  readonly countKeys: (tenant: string) => Promise<number>;
  readonly now?: () => number;
}

/**
 * `GET /admin/api/tenants`: each tenant's limits, keys and usage and spend this budget period.
 * Admins see every tenant; a member of a tenant sees only its own.
 */
export function tenantRoutes(deps: TenantRoutesDeps) {
  return new Elysia().get("/admin/api/tenants", ({ request, server }) =>
    deps.guard(request, clientIpOf(server, request), "admin", "openai", async ({ principal, headers }) => {
      const scope = readScope(principal);
      const tenants = await tenantReports(
        deps.tenants(),
        deps.audit,
        deps.countKeys,
        scope,
        (deps.now ?? Date.now)(),
      );
      return Response.json({ tenants }, { headers });
    }),
  );
}
