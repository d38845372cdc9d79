import type { GatewayEvent } from "../audit/gateway-event.ts";
import { managedTenant } from "../auth/key-scope.ts";
import type { Principal } from "../auth/principal.ts";
import { servesTenant } from "../config/tenant-config.ts";
import { forbidden, type GatewayError } from "../core/gateway-error.ts";

/**
 * Which tenant a reader of audit rows, events, shadow records and usage may see: an admin of
 * `default` sees every tenant (null); an admin of any other tenant name, listed or not, and a member
 * of a configured tenant, sees only its own (the tenant whose keys it manages, auth/key-scope.ts);
 * anyone else, nothing.
 */
export function readScope(principal: Principal): string | null {
  if (principal.role === "admin") return managedTenant(principal);
  if (principal.role === "user" && principal.tenantRules?.bound) return principal.tenant;
  throw forbidden("this credential may read only as an admin or as a member of a configured tenant");
}

/** What a caller held to one tenant asks of another: to read its part, or to manage its keys. */
export type TenantReach = "read" | "manage";

/**
 * The tenant a read (or a key change) is held to: the reader's scope, or for a reader of every
 * tenant (null) the one it asks for, if any. A reader held to one tenant that asks for another is
 * refused (403, naming its own), not answered with its own tenant's part as if that were the other's.
 */
export function scopedTenant(
  scope: string | null,
  requested: string | undefined,
  reach: TenantReach = "read",
): string | undefined {
  if (scope === null) return requested;
  if (requested !== undefined && requested !== scope) throw outsideScope(scope, reach);
  return scope;
}

/** Why a caller held to `scope` may not reach another tenant's part (whose name it is not told back). */
export const outsideScope = (scope: string, reach: TenantReach = "read"): GatewayError =>
  forbidden(
    `this credential ${reach === "read" ? "reads only its own tenant" : "manages only the keys of its own tenant"} "${scope}"; drop the tenant filter or ask for "${scope}"`,
  );

/**
 * What `eventVisibleTo` reads of an event: the gateway's own, or one `mindgw tail` read leniently
 * (tui/tail-event.ts) from a gateway of another release, which may say no tenant.
 */
export type ScopedEvent =
  | { readonly type: "request.started"; readonly tenant?: string | null | undefined }
  | { readonly type: "request.finished"; readonly record: { readonly tenant: string | null } }
  | {
      readonly type: WorkerEventType;
      readonly worker: { readonly tenant?: string | undefined };
    }
  | {
      readonly type: Exclude<GatewayEvent["type"], "request.started" | "request.finished" | WorkerEventType>;
    };

type WorkerEventType = "worker.connected" | "worker.changed" | "worker.draining" | "worker.lost";

/**
 * Events a tenant-scoped reader may see: its own tenant's requests and, for an admin of the
 * tenant (`seesWorkers`), the comings, changes, drains and goings of the workers its callers may be routed to (its
 * own and the platform's, as `/admin/api/workers` lists them to it; a member reads no workers);
 * a cluster node's leaving (`node.left`), which ends its own requests' rows (their records name
 * their node too); nothing else gateway-wide (config reloads).
 */
export function eventVisibleTo(scope: string | null, event: ScopedEvent, seesWorkers: boolean): boolean {
  if (scope === null || event.type === "node.left") return true;
  if (event.type === "request.started") return event.tenant === scope;
  if (event.type === "request.finished") return event.record.tenant === scope;
  if (
    event.type === "worker.connected" ||
    event.type === "worker.changed" ||
    event.type === "worker.draining" ||
    event.type === "worker.lost"
  )
    return seesWorkers && servesTenant(event.worker, scope);
  return false;
}
