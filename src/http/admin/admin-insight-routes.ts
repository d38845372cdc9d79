import { Elysia } from "elysia";
import { z } from "zod";
import { STATS_WINDOWS, type StatsSeries, type StatsWindowName } from "../../audit/request-stats.ts";
import type { AdminActionStore } from "../../storage/storage.ts";
import type { createFrontDoor } from "../front-door.ts";
import { parseInput, queryOf } from "../parse-input.ts";
import { adminGuards } from "./admin-guards.ts";

export interface AdminInsightDeps {
  readonly guard: ReturnType<typeof createFrontDoor>["guard"];
  readonly stats: (window: StatsWindowName) => StatsSeries;
  /** The resolved routing table with live route health (gateway/routing-view.ts). */
  readonly routing: () => object;
  readonly actions: AdminActionStore;
  /** USD spent per key id, as stored (the running totals are flushed about once a second). */
  readonly spent: (keyId: string) => Promise<number>;
}

/** The query each route validates (exported for the OpenAPI document: http/docs/admin-insight-paths.ts). */
export const statsQuery = z.strictObject({
  window: z.enum(Object.keys(STATS_WINDOWS) as [StatsWindowName, ...StatsWindowName[]]).default("1h"),
});
export const actionsQuery = z.strictObject({
  before: z.coerce.number().int().positive().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});
export const spendQuery = z.strictObject({ ids: z.string().max(20_000).default("") });

/** `/admin/api/{stats,routing,actions,spend}`: what the web UI's pages read. Admin role only. */
export function adminInsightRoutes(deps: AdminInsightDeps) {
  const admin = adminGuards(deps.guard).adminOnly;

  return new Elysia({ prefix: "/admin/api" })
    .get(
      "/stats",
      admin(({ headers }, request) => {
        const { window } = parseInput(statsQuery, queryOf(request));
        return Response.json({ window, ...deps.stats(window) }, { headers });
      }),
    )
    .get(
      "/routing",
      admin(({ headers }) => Response.json(deps.routing(), { headers })),
    )
    .get(
      "/actions",
      admin(async ({ headers }, request) => {
        const { before, limit } = parseInput(actionsQuery, queryOf(request));
        const actions = await deps.actions.list({ ...(before ? { before } : {}), limit: limit + 1 });
        const page = actions.slice(0, limit);
        const next = actions.length > limit ? page.at(-1)?.id : undefined;
        return Response.json({ actions: page, nextBefore: next ?? null }, { headers });
      }),
    )
    .get(
      "/spend",
      admin(async ({ headers }, request) => {
        const ids = parseInput(spendQuery, queryOf(request)).ids.split(",").filter(Boolean).slice(0, 1000);
        const spent = await Promise.all(ids.map(async (id) => [id, await deps.spent(id)] as const));
        return Response.json({ spentUsd: Object.fromEntries(spent) }, { headers });
      }),
    );
}
