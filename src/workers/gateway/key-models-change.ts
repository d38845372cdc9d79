import type { WorkerLog } from "../worker-log.ts";
import type { RegisteredWorker } from "./registered-worker.ts";

/**
 * A connected worker's key now permits `models` of those it offered (never none): the worker is
 * routed those from now on, and the change is logged (narrowed at warn, widened at info). The
 * models it newly serves, or undefined when nothing changed.
 */
export function changeKeyModels(
  worker: RegisteredWorker,
  models: readonly string[],
  log: WorkerLog,
): readonly string[] | undefined {
  const dropped = worker.models.filter((m) => !models.includes(m));
  const added = models.filter((m) => !worker.models.includes(m));
  if (dropped.length === 0 && added.length === 0) return undefined;
  worker.models = [...models];
  if (dropped.length > 0)
    log("warn", "worker's key no longer permits some of its models: they are no longer routed to it", {
      worker: worker.name,
      models: dropped,
    });
  if (added.length > 0)
    log("info", "worker's key now permits more of its models: they are routed to it", {
      worker: worker.name,
      models: added,
    });
  return added;
}
