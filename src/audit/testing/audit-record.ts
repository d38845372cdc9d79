import type { AuditRecord } from "../audit-record.ts";

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
