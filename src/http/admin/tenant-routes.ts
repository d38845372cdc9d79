import { Elysia } from "elysia";
import type { TenantConfig } from "../../config/tenant-config.ts";
import { tenantQuerySchema } from "../../core/tenant-filter.ts";
import type { AuditStore } from "../../storage/storage.ts";
import { scopedTenant } from "../../tenants/read-scope.ts";
import { sharedUsage } from "../../tenants/shared-usage.ts";
import { type CountKeys, type SpentRead, storeUsage, tenantReports } from "../../tenants/tenant-usage.ts";
import type { createFrontDoor } from "../front-door.ts";
import { parseInput, queryOf } from "../parse-input.ts";
import { adminGuards } from "./admin-guards.ts";

export interface TenantRoutesDeps {
  readonly guard: ReturnType<typeof createFrontDoor>["guard"];
  /** The tenants of the current config. */
  readonly tenants: () => readonly TenantConfig[];
  /** The audit log, where requests and tokens are counted. */
  readonly audit: AuditStore;
  /** Each tenant's active keys, counted for every tenant of a report at once. */
  readonly countKeys: CountKeys;
  /**
   * The spend ledger's totals, where spend is counted (what budgets are enforced against); absent
   * when no ledger is kept (an embedder's own `Policy`): the audit rows' cost.
   */
  readonly spent?: SpentRead;
  readonly now?: () => number;
}

/** How long one scan of the audit log answers every caller asking for the same tenants and period. */
const USAGE_FRESH_MS = 5_000;

/**
 * `GET /admin/api/tenants`: each tenant's limits, keys and usage and spend this budget period.
 * Admins see every tenant, or the one `?tenant=` names; a member of a tenant, or an admin in one,
 * sees only its own (asking for another is refused, 403: read-scope.ts). The requests and tokens are
 * read once for every caller asking at once, and serve them all for a few seconds
 * (shared-usage.ts): however often it is polled, the audit log is scanned at most once per tenant
 * set per `USAGE_FRESH_MS`. The spend is the ledger's, one indexed read a report.
 */
export function tenantRoutes(deps: TenantRoutesDeps) {
  const { tenantReader } = adminGuards(deps.guard);
  const usage = sharedUsage(storeUsage(deps.audit), {
    freshMs: USAGE_FRESH_MS,
    ...(deps.now ? { now: deps.now } : {}),
  });
  return new Elysia().get(
    "/admin/api/tenants",
    tenantReader(async ({ headers }, request, scope) => {
      // `?tenant=`: one tenant's report; another than a tenant reader's own is refused (403).
      const { tenant } = parseInput(tenantQuerySchema, queryOf(request));
      const tenants = await tenantReports(
        deps.tenants(),
        { usage, countKeys: deps.countKeys, ...(deps.spent ? { spent: deps.spent } : {}) },
        scopedTenant(scope, tenant) ?? null,
        (deps.now ?? Date.now)(),
      );
      return Response.json({ tenants }, { headers });
    }),
  );
}
