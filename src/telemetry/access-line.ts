import type { AuditRecord } from "../audit/audit-record.ts";
import { type AuditRowFields, recordOf } from "../audit/audit-row-fields.ts";
import { ROW_LINE, type RowLine } from "../audit/audit-row-layout.ts";
import { isoTime } from "../log/iso-time.ts";
import { jsonLine, type LineParts, textLine } from "../log/line-format.ts";
import type { LogFields, LogFormat } from "../log/logger.ts";

/** The access line's message (docs/OBSERVABILITY.md). */
export const ACCESS_MESSAGE = "request";

/**
 * An access line's fields, from the request's record: what the event loop's logger writes and
 * what an audit thread writes from the row it decodes (`accessLines`), the same text both ways.
 */
export function accessFields(record: AuditRecord, reason: string | undefined): LogFields {
  return {
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
    reason,
  };
}

/**
 * An access line's time: its request's end (start plus latency), so that the line reads the same
 * whichever thread writes it and whenever.
 */
export const accessEndMs = (record: AuditRecord): number => record.startedAt + record.latencyMs;

/** The row byte that has an audit thread write a row's line in `format`. */
export const rowLineOf = (format: LogFormat): RowLine => (format === "json" ? ROW_LINE.JSON : ROW_LINE.TEXT);

const isoOf = isoTime();
const parts: LineParts = [];

/**
 * The info access lines of a batch's rows that carry theirs (`lines[i]`: row i's line byte), as one
 * text, in the rows' order; "" when none does. Formatted by log/line-format.ts, as the logger does.
 */
export function accessLines(rows: readonly AuditRowFields[], lines: readonly RowLine[]): string {
  let n = 0;
  for (let i = 0; i < rows.length; i++) {
    const line = lines[i];
    if (line === undefined || line === ROW_LINE.NONE) continue;
    const record = recordOf(rows[i] as AuditRowFields);
    const format = line === ROW_LINE.JSON ? jsonLine : textLine;
    n = format(parts, n, isoOf(accessEndMs(record)), "info", ACCESS_MESSAGE, accessFields(record, undefined));
  }
  parts.length = n;
  const text = parts.join("");
  parts.length = 0;
  return text;
}
