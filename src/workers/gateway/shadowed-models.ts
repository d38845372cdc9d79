import { WORKERS_PROVIDER } from "../../config/config-schema.ts";
import type { RouteTable } from "../../routing/route-table.ts";
import type { RegisteredWorker } from "./registered-worker.ts";

/**
 * The worker's models that the config routes elsewhere: a request for one finds the config's
 * entry (by name, alias or glob: the config wins, route-table.ts `resolve`), and that entry does
 * not send it on to the workers under the same name. The worker is accepted for them, but none of
 * their requests reach it.
 */
export function shadowedModels(
  table: RouteTable,
  worker: Pick<RegisteredWorker, "models" | "tenant">,
): string[] {
  return worker.models.filter((model) => {
    const plan = table.resolve(model, worker.tenant);
    const toWorkers = `${WORKERS_PROVIDER}/${model}`;
    return plan !== undefined && !plan.routes.some((route) => route.key === toWorkers);
  });
}
