import type { WorkerSummary } from "../../audit/gateway-event.ts";
import type { RegisteredWorker } from "./registered-worker.ts";

/** A worker as the admin API and the events show it: a copy, not the live object. */
export function summarizeWorker(worker: RegisteredWorker): WorkerSummary {
  return {
    id: worker.id,
    name: worker.name,
    tenant: worker.tenant,
    models: [...worker.models],
    inFlight: worker.inFlight,
    capacity: worker.capacity,
    labels: { ...worker.labels },
    lastHeartbeatAt: worker.lastHeartbeatAt,
    draining: worker.draining,
    ...(worker.version !== undefined ? { version: worker.version } : {}),
    ...(worker.connectedAt !== undefined ? { connectedAt: worker.connectedAt } : {}),
    ...(worker.responsesApi ? { responsesApi: true } : {}),
  };
}
