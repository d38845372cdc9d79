import type { WorkerSummary } from "../../audit/gateway-event.ts";
import { type Seen, type WorkerReader, workerSeen } from "../../tenants/worker-seen.ts";
import type { WorkerRegistry } from "./worker-registry.ts";

/** A worker as `GET /admin/api/workers` lists it: its summary, and what only the listing says. */
export interface ListedWorker extends WorkerSummary {
  /** Out of rotation until then (epoch ms): its upstream kept failing (worker-ejection.ts). */
  ejectedUntil?: number;
  /** Its models that the config routes elsewhere (by name, alias or glob): no request for them reaches it. */
  shadowedByConfig?: string[];
}

/** A worker as the listing shows it to its reader: without `inFlight` to a reader held to another tenant. */
export type ShownWorker = Seen<ListedWorker>;

/** Body of `GET /admin/api/workers`. */
export interface WorkerListing {
  /** Each without its `inFlight` to a reader held to another tenant than its own (tenants/worker-seen.ts). */
  workers: ShownWorker[];
  /**
   * How often a worker's heartbeat is due and how long the gateway waits for a sign of life before
   * it removes the worker (`workers.heartbeat_timeout`, the heartbeat a third of it): what a
   * reader judges a worker's `lastHeartbeatAt` by (`mindgw tail`'s late and stale).
   */
  heartbeatMs: number;
  heartbeatTimeoutMs: number;
}

/**
 * Body of `GET /admin/api/workers`: the workers a reader of `scope` may see — an admin in a tenant
 * its own tenant's and the platform's, the workers its callers may be routed to; every worker for
 * an admin outside every tenant (null). `reader`: a reader held to one tenant, each worker shown to
 * it without what it may not see (another tenant's model names, a shared worker's load:
 * tenants/worker-seen.ts).
 */
export function listWorkers(
  registry: WorkerRegistry,
  scope: string | null,
  reader?: WorkerReader,
): WorkerListing {
  const workers = registry.list(scope ?? undefined).map((summary): ShownWorker => {
    const worker = registry.get(summary.name);
    const ejectedUntil = worker && registry.ejectedUntil(worker);
    const shadowed = worker ? registry.shadowed(worker) : [];
    const listed: ListedWorker = {
      ...summary,
      ...(ejectedUntil !== undefined ? { ejectedUntil } : {}),
      ...(shadowed.length > 0 ? { shadowedByConfig: [...shadowed] } : {}),
    };
    return reader ? workerSeen(listed, reader) : listed;
  });
  return { workers, heartbeatMs: registry.heartbeatMs, heartbeatTimeoutMs: registry.heartbeatTimeoutMs };
}
