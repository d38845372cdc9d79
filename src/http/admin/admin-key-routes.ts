import { Elysia } from "elysia";
import { z } from "zod";
import type { KeyAdmin } from "../../auth/key-admin.ts";
import { managedTenant } from "../../auth/key-scope.ts";
import type { KeyView } from "../../auth/key-view.ts";
import type { Principal } from "../../auth/principal.ts";
import { isJsonObject } from "../../core/dialect.ts";
import { askedTenant, changedTenant } from "../../core/tenant-filter.ts";
import { scopedTenant, type TenantReach } from "../../tenants/read-scope.ts";
import type { AdminActionLog } from "../admin-ui/admin-action-log.ts";
import type { createFrontDoor, Guarded } from "../front-door.ts";
import { parseInput, queryOf } from "../parse-input.ts";
import { readJsonBody } from "../read-json-body.ts";
import { adminGuards } from "./admin-guards.ts";
import { keyListQuerySchema, keyPage, type ReadKeys } from "./key-page.ts";

export interface AdminKeyDeps {
  readonly guard: ReturnType<typeof createFrontDoor>["guard"];
  readonly keyAdmin: KeyAdmin;
  /** The admin-action audit: every change is recorded with who made it. */
  readonly recordAction?: AdminActionLog;
  /** `server.body_timeout` as the config stands: a body must arrive within it (else 408), as on every route. */
  readonly bodyTimeout: () => number;
}

const MAX_KEY_BODY = 64 * 1024;

/**
 * `?tenant=T` on a key named (`/admin/api/keys/{name}`, `…/revoke`, `…/rotate`, `…/limits`): that
 * tenant's keys of the name alone, where an admin outside every tenant finds them in several (409).
 * Empty reads as absent on a show (`askedTenant`) and is refused (400) on a change
 * (`changedTenant`): an unset variable in a script must not act on whichever tenant holds the name.
 * An admin in a tenant naming another is refused (403), as the list is: never told "no such key"
 * as if the other tenant had none. Any other parameter is refused (400 naming it): a misspelt
 * `?tennant=` is never left unread while a revoke acts on the name in whichever tenant holds it.
 */
export const keyTenantQuerySchema = z.strictObject({ tenant: z.string().max(512).optional() });
/**
 * A revoke's body: it reads none (the tenant is `?tenant=`), so one with a field is refused (400
 * naming it), never left unread while the revoke acts on the name in whichever tenant holds it.
 */
const revokeBodySchema = z.strictObject({});
/** How `?tenant=` reads for what the route does with the key: a show reads, a change manages. */
const tenantQueryRule: Record<TenantReach, (tenant: string | undefined) => string | undefined> = {
  read: askedTenant,
  manage: changedTenant,
};
const tenantOf = (request: Request, principal: Principal, reach: TenantReach): { tenant?: string } => {
  const tenant = tenantQueryRule[reach](parseInput(keyTenantQuerySchema, queryOf(request)).tenant);
  if (tenant === undefined) return {};
  scopedTenant(managedTenant(principal), tenant, reach);
  return { tenant };
};

/**
 * `/admin/api/keys`: what `mindgw keys --gateway` calls (create, show, revoke, rotate, and
 * `/:id/limits` for `keys update`). The same KeyAdmin as the local CLI,
 * so both enforce the same rules (admin only; nobody widens their own key). The list is paged
 * when asked (`limit`, `cursor`: the web UI and `mindgw keys list`), whole otherwise (older CLIs).
 */
export function adminKeyRoutes(deps: AdminKeyDeps) {
  const admin = adminGuards(deps.guard).adminOnly;
  const record = (
    guarded: Guarded,
    clientIp: string | null,
    action: string,
    target: string,
    detail: string,
  ) =>
    deps.recordAction?.(
      guarded.principal,
      { clientIp, requestId: guarded.ledger.requestId },
      { action, target, detail },
    );
  const body = (request: Request) => readJsonBody(request, MAX_KEY_BODY, deps.bodyTimeout());
  const optionalBody = async (request: Request) =>
    request.headers.get("content-length") === "0" || !request.body ? {} : body(request);

  return new Elysia({ prefix: "/admin/api/keys" })
    .get(
      "/",
      admin(async ({ principal, headers }, request) => {
        const query = parseInput(keyListQuerySchema, queryOf(request));
        // An admin in a tenant asking for another tenant's keys is refused (403), not shown its own.
        const tenant = scopedTenant(managedTenant(principal), query.tenant);
        const filter = {
          ...(tenant ? { tenant } : {}),
          ...(query.name ? { name: query.name } : {}),
          includeRevoked: query.include_revoked === "true",
        };
        const read: ReadKeys = (after, limit) => deps.keyAdmin.list(principal, filter, { after, limit });
        return Response.json(await keyPage(read, query.limit, query.cursor), { headers });
      }),
    )
    .post(
      "/",
      admin(async (guarded, request, _params, clientIp) => {
        const { principal, headers } = guarded;
        const issued = await deps.keyAdmin.create(principal, await body(request));
        await record(guarded, clientIp, "key.create", issued.id, describeKey(issued));
        return Response.json(issued, { status: 201, headers });
      }),
    )
    .get(
      "/:id",
      admin(async ({ principal, headers }, request, params) =>
        Response.json(
          await deps.keyAdmin.show(principal, params.id ?? "", tenantOf(request, principal, "read")),
          {
            headers,
          },
        ),
      ),
    )
    .post(
      "/:id/revoke",
      admin(async (guarded, request, params, clientIp) => {
        // By name, every active key of it (in `tenant` when given): each revoke on record as it is
        // made, so a store that fails midway (503) leaves none it revoked unrecorded.
        parseInput(revokeBodySchema, await optionalBody(request));
        const answer = await deps.keyAdmin.revoke(guarded.principal, params.id ?? "", {
          ...tenantOf(request, guarded.principal, "manage"),
          onRevoked: (revoked) => record(guarded, clientIp, "key.revoke", revoked.id, describeKey(revoked)),
        });
        return Response.json(answer, { headers: guarded.headers });
      }),
    )
    .post(
      "/:id/rotate",
      admin(async (guarded, request, params, clientIp) => {
        const { principal, headers } = guarded;
        const body = await optionalBody(request);
        const rotated = await deps.keyAdmin.rotate(
          principal,
          params.id ?? "",
          isJsonObject(body) ? body : {},
          tenantOf(request, principal, "manage"),
        );
        await record(
          guarded,
          clientIp,
          "key.rotate",
          rotated.id,
          `${describeKey(rotated)}; replaces ${rotated.previous.id}, valid until ${rotated.previous.expires_at ?? "never"}`,
        );
        return Response.json(rotated, { status: 201, headers });
      }),
    )
    .post(
      "/:id/limits",
      admin(async (guarded, request, params, clientIp) => {
        const limits = await body(request);
        const changed = await deps.keyAdmin.setLimits(
          guarded.principal,
          params.id ?? "",
          limits,
          tenantOf(request, guarded.principal, "manage"),
        );
        await record(
          guarded,
          clientIp,
          "key.limits",
          changed.id,
          `${describeKey(changed)}; ${describeLimits(changed)}`,
        );
        return Response.json(changed, { headers: guarded.headers });
      }),
    );
}

/**
 * Text someone chose, isolated (FIRST STRONG ISOLATE … POP DIRECTIONAL ISOLATE): a right-to-left
 * override in a key's name ends with the name, instead of reversing the description after it.
 */
const isolated = (text: string) => `\u2068${text}\u2069`;

/** A key's limits as they now stand, for the admin-action record of a change to them. */
const describeLimits = (key: KeyView) =>
  `now rpm ${key.rpm ?? "none"}, tpm ${key.tpm ?? "none"}, budget ${key.budget_usd === null ? "none" : `${key.budget_usd} USD`}, expires ${key.expires_at ?? "never"}`;

/** A key in an admin-action record: name, role, tenant and models; never the key itself. */
const describeKey = (key: KeyView) =>
  `${isolated(key.name)} (${key.role}, tenant ${isolated(key.tenant)}, models ${key.models.map(isolated).join(",") || "none"})`;
