import { eventVisibleTo } from "../tenants/read-scope.ts";
import type { TailEvent } from "./tail-event.ts";

/**
 * Whether an event is of the one tenant's part the tail reads (`--tenant`; unset, every event is).
 * A gateway that reads `?tenant=` sends that part alone; one from before it ignored the parameter
 * and sent every tenant's events, so they are selected here again by the gateway's own rule, as an
 * admin reads them (read-scope.ts: the tenant's requests, the workers its callers may be routed to,
 * nothing gateway-wide). A gap in the stream (`events.missed`, `node.unanswered`) is said whatever
 * the part: the lost events may have been of it. A started request that names no tenant (a gateway older still) is
 * left out; its finish, whose record names its tenant, shows it.
 */
export const inTenantPart = (tenant: string | undefined, event: TailEvent): boolean =>
  tenant === undefined ||
  event.type === "events.missed" ||
  event.type === "node.unanswered" ||
  eventVisibleTo(tenant, event, true);
