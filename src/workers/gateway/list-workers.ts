import type { WorkerSummary } from "../../audit/gateway-event.ts";
import type { WorkerRegistry } from "./worker-registry.ts";

/** Body of `GET /admin/api/workers`. */
export function listWorkers(registry: WorkerRegistry): { workers: WorkerSummary[] } {
  return { workers: registry.list() };
}
