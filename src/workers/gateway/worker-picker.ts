import { servesTenant } from "../../config/tenant-config.ts";
import { soonerOver } from "./capacity-refusal.ts";
import type { NoWorker } from "./no-worker.ts";
import type { RegisteredWorker } from "./registered-worker.ts";
import type { WorkerEjection } from "./worker-ejection.ts";

const available = (worker: RegisteredWorker, model: string, tenant: string, keepFree: number) =>
  !worker.draining &&
  worker.inFlight + keepFree < worker.capacity &&
  worker.models.includes(model) &&
  servesTenant(worker, tenant);

/** Less busy (in-flight / capacity) than the best so far, or as busy and picked longer ago. */
const better = (
  worker: RegisteredWorker,
  load: number,
  best: RegisteredWorker | undefined,
  bestLoad: number,
  lastPick: WeakMap<RegisteredWorker, number>,
) =>
  load < bestLoad ||
  (load === bestLoad && best !== undefined && (lastPick.get(worker) ?? 0) < (lastPick.get(best) ?? 0));

/** Which connected worker takes the next request (WorkerRegistry.pick). */
export class WorkerPicker {
  // Ties on load go to the worker picked longest ago, so equal workers share the traffic.
  private readonly lastPick = new WeakMap<RegisteredWorker, number>();
  private pickSeq = 0;

  /** `byName`: the workers connected, by name, as the registry keeps them. */
  constructor(
    private readonly byName: ReadonlyMap<string, RegisteredWorker>,
    private readonly ejection: WorkerEjection,
  ) {}

  /** As WorkerRegistry.pick says. */
  pick(
    model: string,
    tenant: string,
    prefer: string | undefined,
    keepFree: number,
    avoid: ReadonlySet<string> | undefined,
  ): RegisteredWorker | undefined {
    const { byName, ejection, lastPick } = this;
    const preferred = prefer === undefined || avoid?.has(prefer) ? undefined : byName.get(prefer);
    if (preferred && available(preferred, model, tenant, keepFree) && !ejection.ejectedUntil(preferred)) {
      lastPick.set(preferred, ++this.pickSeq);
      return preferred;
    }
    // The least busy worker in rotation; the least busy out of it only when no worker in rotation
    // serves the model at all (a full one does: the caller is told they are busy).
    let best: RegisteredWorker | undefined;
    let bestLoad = Number.POSITIVE_INFINITY;
    let ejected: RegisteredWorker | undefined;
    let ejectedLoad = Number.POSITIVE_INFINITY;
    let inRotation = false;
    for (const worker of byName.values()) {
      if (worker.draining || !worker.models.includes(model) || !servesTenant(worker, tenant)) continue;
      if (avoid?.has(worker.name)) continue;
      const out = ejection.ejectedUntil(worker) !== undefined;
      inRotation ||= !out;
      if (worker.inFlight + keepFree >= worker.capacity) continue;
      const load = worker.inFlight / worker.capacity;
      if (out) {
        if (better(worker, load, ejected, ejectedLoad, lastPick)) {
          ejected = worker;
          ejectedLoad = load;
        }
      } else if (better(worker, load, best, bestLoad, lastPick)) {
        best = worker;
        bestLoad = load;
      }
    }
    best ??= inRotation ? undefined : ejected;
    if (best) lastPick.set(best, ++this.pickSeq);
    return best;
  }
}

/** Why `pick` found none among `workers` (WorkerRegistry.whyNone). */
export function whyNoneAmong(
  workers: Iterable<RegisteredWorker>,
  model: string,
  tenant: string,
  avoid: ReadonlySet<string> | undefined,
): NoWorker {
  let why: NoWorker = "not_served";
  for (const worker of workers) {
    if (!worker.models.includes(model) || !servesTenant(worker, tenant)) continue;
    if (!avoid?.has(worker.name)) why = soonerOver(why, worker.draining ? "draining" : "full");
  }
  return why;
}
