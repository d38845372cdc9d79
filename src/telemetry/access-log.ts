import type { AuditRecord } from "../audit/audit-record.ts";
import { redactSecrets } from "../audit/redact-body.ts";
import type { GatewayError } from "../core/gateway-error.ts";
import type { Logger } from "../log/logger.ts";

/** Longest reason written; upstream error messages can be long and are not ours to print whole. */
const MAX_REASON = 500;

/** Why a request was refused or failed, bounded and with anything credential-shaped removed. */
export function reasonOf(error: GatewayError | undefined): string | undefined {
  if (!error) return undefined;
  const text = redactSecrets(error.message.replace(/\s+/g, " "), "response");
  return text.length > MAX_REASON ? `${text.slice(0, MAX_REASON)}…` : text;
}

/**
 * One access line per request, written when its record is final: at info when it was served,
 * at warn when refused (4xx) and at error when it failed (5xx), with the reason. It names the
 * key by its name only; the record never holds a secret, and the reason passes `redactSecrets`.
 */
export function accessLog(logger: Logger): (record: AuditRecord, error?: GatewayError) => void {
  return (record, error) => {
    const level = record.status >= 500 ? "error" : record.status >= 400 ? "warn" : "info";
    logger[level]("request", {
      request_id: record.requestId,
      front_door: record.frontDoor,
      key: record.keyName ?? undefined,
      tenant: record.tenant ?? undefined,
      model: record.model ?? undefined,
      route: record.route ?? undefined,
      upstream_model: record.upstreamModel ?? undefined,
      status: record.status,
      latency_ms: record.latencyMs,
      ttft_ms: record.ttfbMs ?? undefined,
      stream: record.stream,
      tokens_in: record.inputTokens,
      tokens_out: record.outputTokens,
      cost_usd: record.costUsd || undefined,
      error: record.errorClass ?? undefined,
      reason: reasonOf(error),
    });
  };
}
