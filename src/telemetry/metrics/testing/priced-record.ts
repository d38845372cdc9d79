import type { AuditRecord } from "../../../audit/audit-record.ts";

/** A priced request of `tenant` that finished well (what the gateway-metrics*.test.ts files count). */
export const priced = (tenant: string | null): AuditRecord => ({
  requestId: "req-1",
  startedAt: 0,
  keyId: null,
  keyName: null,
  tenant,
  role: null,
  frontDoor: "chat",
  model: "m",
  route: "provider:p",
  upstreamModel: "m",
  status: 200,
  errorClass: null,
  stream: false,
  latencyMs: 10,
  ttfbMs: 5,
  inputTokens: 1,
  outputTokens: 1,
  costUsd: 0.5,
  clientIp: null,
  userAgent: null,
});
