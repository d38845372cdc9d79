import { Elysia } from "elysia";
import type { TenantConfig } from "../../config/tenant-config.ts";
import type { AuditStore } from "../../storage/storage.ts";
import { type CountKeys, tenantReports } from "../../tenants/tenant-usage.ts";
import type { createFrontDoor } from "../front-door.ts";
import { adminGuards } from "./admin-guards.ts";

export interface TenantRoutesDeps {
  readonly guard: ReturnType<typeof createFrontDoor>["guard"];
  /** The tenants of the current config. */
  readonly tenants: () => readonly TenantConfig[];
  /** The audit log, where usage is counted. */
  readonly audit: AuditStore;
  /** Each tenant's active keys, counted for every tenant of a report at once. */
  readonly countKeys: CountKeys;
  readonly now?: () => number;
}

/**
 * `GET /admin/api/tenants`: each tenant's limits, keys and usage and spend this budget period.
 * Admins see every tenant; a member of a tenant sees only its own.
 */
export function tenantRoutes(deps: TenantRoutesDeps) {
  const { tenantReader } = adminGuards(deps.guard);
  return new Elysia().get(
    "/admin/api/tenants",
    tenantReader(async ({ headers }, _request, scope) => {
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
