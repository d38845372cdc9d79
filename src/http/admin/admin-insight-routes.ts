import { Elysia } from "elysia";
import { z } from "zod";
import { STATS_WINDOWS, type StatsSeries, type StatsWindowName } from "../../audit/request-stats.ts";
import { canUseModel } from "../../auth/principal.ts";
import type { SpendByCaller } from "../../auth/spend-by-caller.ts";
import type { CursorSeal } from "../../core/cursor-seal.ts";
import { decimalIntField } from "../../core/decimal-int.ts";
import { badRequest } from "../../core/gateway-error.ts";
import { roundUsd } from "../../core/round-usd.ts";
import type { AdminActionPage, AdminActionStore } from "../../storage/storage.ts";
import type { createFrontDoor } from "../front-door.ts";
import { parseInput, queryOf } from "../parse-input.ts";
import { actionsPage } from "./actions-page.ts";
import { adminGuards } from "./admin-guards.ts";
import { sealedActionIds } from "./sealed-action-ids.ts";
import { spendIds } from "./spend-ids.ts";
import { type RoutingTable, routingFor } from "./tenant-routing.ts";

export interface AdminInsightDeps {
  readonly guard: ReturnType<typeof createFrontDoor>["guard"];
  readonly stats: (window: StatsWindowName) => StatsSeries;
  /**
   * The resolved routing table with live route health (gateway/routing-view.ts); its worker-served
   * models those a caller of `tenant` may be routed to (as `/v1/models` lists them), every
   * connected worker's when no tenant is given.
   */
  readonly routing: (tenant?: string) => RoutingTable;
  readonly actions: AdminActionStore;
  /**
   * Seals the action ids an admin in a tenant is shown (sealed-action-ids.ts): every node on the
   * same storage opens what another sealed, and so does a node after its restart.
   */
  readonly actionIdSeal: CursorSeal;
  /**
   * USD spent by each caller named, as stored (the running totals are flushed about once a
   * second), for a reader held to one tenant or none (auth/spend-by-caller.ts).
   */
  readonly spentBy: SpendByCaller;
  /** The ids of every key of a tenant, revoked ones included (their actions stay its to read). */
  readonly tenantKeys: (tenant: string) => Promise<readonly string[]>;
}

/** The query each route validates (exported for the OpenAPI document: http/docs/admin-insight-paths.ts). */
export const statsQuery = z.strictObject({
  window: z.enum(Object.keys(STATS_WINDOWS) as [StatsWindowName, ...StatsWindowName[]]).default("1h"),
});
export const actionsQuery = z.strictObject({
  /** The previous page's `nextBefore`: an action's id, in decimal digits alone (`0x10` is no id). */
  before: decimalIntField(1, Number.MAX_SAFE_INTEGER).optional(),
  limit: decimalIntField(1, 500).default(50).describe("Actions a page, 1–500 (50 when left out)."),
  /** One caller's actions, by its id (`actorKeyId`: `key_…`, `jwt:<tenant>:<name>`, `session:…`). */
  actor: z.string().min(1).max(1024).optional(),
});
/** An admin in a tenant's: its ids are sealed text (sealed-action-ids.ts), and `before` one of them. */
export const tenantActionsQuery = actionsQuery.extend({ before: z.string().min(1).max(256).optional() });
/** The most ids one `/admin/api/spend` asks for (the web UI asks for a page of keys at a time). */
const MOST_SPEND_IDS = 1_000;
export const spendQuery = z.strictObject({
  ids: z
    .array(z.string().max(20_000))
    .max(MOST_SPEND_IDS)
    .default([])
    .describe(
      "One caller's id a value, `ids` repeated (`ids=key_a&ids=jwt:acme:bob`): an id may hold a comma",
    ),
});

/**
 * `/admin/api/{stats,routing,actions,spend}`: what the web UI's pages read. Admin role only; an
 * admin in a tenant reads only its tenant's part (auth's `readScope`): its tenant's key actions, the
 * spend of its tenant's keys and JWT subjects, the models it may use, and no gateway-wide charts
 * (this node's figures are every tenant's requests together, so a tenant's admin is refused them,
 * 403).
 */
export function adminInsightRoutes(deps: AdminInsightDeps) {
  const { adminReader: reader, wholeGateway } = adminGuards(deps.guard);
  const sealed = sealedActionIds(deps.actionIdSeal);

  return new Elysia({ prefix: "/admin/api" })
    .get(
      "/stats",
      wholeGateway(({ headers }, request) => {
        const { window } = parseInput(statsQuery, queryOf(request));
        return Response.json({ window, ...deps.stats(window) }, { headers });
      }),
    )
    .get(
      "/routing",
      reader(({ headers, principal }, _request, scope) => {
        if (scope === null) return Response.json(deps.routing(), { headers });
        const shown = routingFor(deps.routing(scope), (model) => canUseModel(principal, model), scope);
        return Response.json(shown, { headers });
      }),
    )
    .get(
      "/actions",
      reader(async ({ headers }, request, scope) => {
        const pageOf = (before: number | undefined, limit: number, actor: string | undefined) =>
          ({ ...(before ? { before } : {}), limit, ...(actor ? { actor } : {}) }) satisfies AdminActionPage;
        if (scope === null) {
          const { before, limit, actor } = parseInput(actionsQuery, queryOf(request));
          return Response.json(await actionsPage(deps.actions, pageOf(before, limit, actor)), { headers });
        }
        // Held to its tenant: ids sealed, as they count every tenant's actions.
        const { before, limit, actor } = parseInput(tenantActionsQuery, queryOf(request));
        const page = pageOf(before === undefined ? undefined : sealed.before(before), limit, actor);
        const shown = await actionsPage(deps.actions, page, await deps.tenantKeys(scope));
        return Response.json(sealed.page(shown), { headers });
      }),
    )
    .get(
      "/spend",
      reader(async ({ headers }, request, scope) => {
        const query = { ...queryOf(request, ["ids"]), ids: new URL(request.url).searchParams.getAll("ids") };
        const ids = spendIds(parseInput(spendQuery, query).ids);
        // As many repeated `ids` are refused: the comma form is no way past the bound, nor cut short unsaid.
        if (ids.length > MOST_SPEND_IDS)
          throw badRequest(`ids: at most ${MOST_SPEND_IDS} ids a request, ${ids.length} asked for`, "ids");
        // Another tenant's keys and callers are left out, as if unknown: their spend is not this reader's.
        const spent = await deps.spentBy(ids, scope);
        const spentUsd = Object.fromEntries([...spent].map(([id, usd]) => [id, roundUsd(usd)]));
        return Response.json({ spentUsd }, { headers });
      }),
    );
}
