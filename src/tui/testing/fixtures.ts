import type { AuditRecord } from "../../audit/audit-record.ts";
import type { GatewayEvent, WorkerSummary } from "../../audit/gateway-event.ts";

/** Test data: a complete audit record with overrides. */
export function auditRecord(over: Partial<AuditRecord> = {}): AuditRecord {
  return {
    requestId: "req_1",
    startedAt: 1_700_000_000_000,
    keyId: "key_1",
    keyName: "alice",
    tenant: "acme",
    role: "user",
    frontDoor: "chat",
    model: "gpt-4o",
    route: "provider:openai",
    upstreamModel: "gpt-4o-2024-08-06",
    status: 200,
    errorClass: null,
    stream: true,
    latencyMs: 420,
    ttfbMs: 85,
    inputTokens: 12,
    outputTokens: 34,
    costUsd: 0.0012,
    clientIp: "127.0.0.1",
    userAgent: "openai-node",
    ...over,
  };
}

export function finishedEvent(over: Partial<AuditRecord>, at = 1_700_000_000_500): GatewayEvent {
  return { type: "request.finished", at, record: auditRecord(over) };
}

export function worker(over: Partial<WorkerSummary> = {}): WorkerSummary {
  return {
    id: "w_1",
    name: "gpu1",
    models: ["llama-3-8b"],
    inFlight: 1,
    capacity: 8,
    labels: {},
    lastHeartbeatAt: 1_700_000_000_000,
    ...over,
  };
}
