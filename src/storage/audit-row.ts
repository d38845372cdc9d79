import type { AuditAttempt } from "../audit/audit-attempt.ts";
import type { AuditRecord, FrontDoor } from "../audit/audit-record.ts";

/**
 * The audit_log columns as both SQL stores read them (with bodies when asked): SQLite's `stream`
 * is 0 or 1, PostgreSQL's a boolean, and its BIGINT `started_at` may come as text.
 */
export interface AuditColumns {
  request_id: string;
  started_at: number | string;
  key_id: string | null;
  key_name: string | null;
  tenant: string | null;
  role: string | null;
  front_door: string;
  model: string | null;
  route: string | null;
  upstream_model: string | null;
  status: number;
  error_class: string | null;
  stream: boolean | number;
  latency_ms: number;
  ttfb_ms: number | null;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number;
  client_ip: string | null;
  user_agent: string | null;
  error_message?: string | null;
  dropped?: string | null;
  node?: string | null;
  served_node?: string | null;
  app?: string | null;
  request_body?: string | null;
  response_body?: string | null;
}

/** A row as its record; `attempts` read by the store, which knows how its rows keep them. */
export function toAuditRecord(row: AuditColumns, attempts: AuditAttempt[] | undefined): AuditRecord {
  const record: AuditRecord = {
    requestId: row.request_id,
    startedAt: Number(row.started_at),
    keyId: row.key_id,
    keyName: row.key_name,
    tenant: row.tenant,
    role: row.role,
    frontDoor: row.front_door as FrontDoor,
    model: row.model,
    route: row.route,
    upstreamModel: row.upstream_model,
    status: row.status,
    errorClass: row.error_class,
    stream: row.stream === true || row.stream === 1,
    latencyMs: row.latency_ms,
    ttfbMs: row.ttfb_ms,
    inputTokens: row.input_tokens,
    outputTokens: row.output_tokens,
    costUsd: row.cost_usd,
    clientIp: row.client_ip,
    userAgent: row.user_agent,
  };
  if (row.error_message != null) record.errorMessage = row.error_message;
  if (row.dropped != null) record.dropped = row.dropped;
  if (attempts) record.attempts = attempts;
  if (row.node != null) record.node = row.node;
  if (row.served_node != null) record.servedNode = row.served_node;
  if (row.app != null) record.app = row.app;
  if (row.request_body !== undefined) record.requestBody = row.request_body;
  if (row.response_body !== undefined) record.responseBody = row.response_body;
  return record;
}
