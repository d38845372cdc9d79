import { Elysia } from "elysia";
import { type ShadowPage, shadowSchemas } from "../../shadow/shadow-api-schema.ts";
import { shadowFilter } from "../../shadow/shadow-filter.ts";
import type { ShadowStore } from "../../storage/storage.ts";
import type { ShadowCounts } from "../../telemetry/metrics/metric-sources.ts";
import { scopedTenant } from "../../tenants/read-scope.ts";
import type { createFrontDoor } from "../front-door.ts";
import { parseInput, queryOf } from "../parse-input.ts";
import { adminGuards } from "./admin-guards.ts";
import { shadowPairsPage } from "./shadow-pairs-page.ts";

export interface ShadowRoutesDeps {
  readonly guard: ReturnType<typeof createFrontDoor>["guard"];
  /** Absent when the storage keeps no shadow pairs: the page is then empty. */
  readonly store: ShadowStore | undefined;
  /** This node's copies: shed, in flight and over by outcome since start. */
  readonly counts: () => ShadowCounts;
}

/**
 * `GET /admin/api/shadow`: recorded pairs newest first (paged), and per-model aggregates over the
 * whole filtered range, and this node's copy counts. Admins see every tenant; a member of a
 * tenant sees only its own pairs, and no counts (they are every tenant's copies).
 */
export function shadowRoutes(deps: ShadowRoutesDeps) {
  const { tenantReader } = adminGuards(deps.guard);
  return new Elysia().get(
    "/admin/api/shadow",
    tenantReader(async ({ headers }, request, scope) => {
      const query = parseInput(shadowSchemas().query, queryOf(request));
      const filter = shadowFilter(query, scopedTenant(scope, query.tenant));
      const counts = scope === null ? deps.counts() : null;
      const page: ShadowPage = { records: [], nextCursor: null, aggregates: [], counts };
      if (deps.store) {
        const pairs = await shadowPairsPage(deps.store, filter, query.cursor ?? null, query.limit);
        page.records = pairs.records;
        page.nextCursor = pairs.nextCursor;
        page.aggregates = await deps.store.aggregate(filter);
      }
      return Response.json(page, { headers });
    }),
  );
}
