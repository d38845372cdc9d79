import type { AuditRecord } from "../../audit/audit-record.ts";
import type { GatewayEvent, WorkerSummary } from "../../audit/gateway-event.ts";
import { withoutBodies } from "../../audit/published-record.ts";
import { auditRecord } from "../../audit/testing/audit-record.ts";

export function finishedEvent(over: Partial<AuditRecord>, at = 1_700_000_000_500): GatewayEvent {
  return { type: "request.finished", at, record: withoutBodies(auditRecord(over)) };
}

export function worker(over: Partial<WorkerSummary> = {}): WorkerSummary {
  return {
    id: "w_1",
    name: "gpu1",
    tenant: "default",
    models: ["llama-3-8b"],
    inFlight: 1,
    capacity: 8,
    labels: {},
    lastHeartbeatAt: 1_700_000_000_000,
    ...over,
  };
}
