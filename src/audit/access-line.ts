import { roundUsd } from "../core/round-usd.ts";
import { isoTime } from "../log/iso-time.ts";
import { jsonLine, type LineParts, textLine } from "../log/line-format.ts";
import type { LogFields, LogFormat } from "../log/logger.ts";
import { type AuditRowFields, FIELD } from "./audit-row-fields.ts";
import { ROW_LINE, type RowLine } from "./audit-row-layout.ts";
import { callerLabel } from "./caller-label.ts";

/** The access line's message (docs/OBSERVABILITY.md). */
export const ACCESS_MESSAGE = "request";

/**
 * An access line's fields, from the request's row (audit-row-fields.ts): what an audit thread
 * decodes anyway, and what the event loop fills from the record (`fillAuditRow`, one reused
 * array) for the lines it writes itself: one builder, the same text both ways. `detail` is what
 * a refusal keeps from the client (which check refused a credential), on the loop's lines only.
 */
export function accessFields(
  row: AuditRowFields,
  reason: string | undefined,
  detail?: string | undefined,
): LogFields {
  return {
    request_id: row[FIELD.requestId],
    front_door: row[FIELD.frontDoor],
    app: row[FIELD.app] ?? undefined,
    // A JWT caller by its subject id, never by a bare name a key may have too (caller-label.ts).
    key: callerLabel(row[FIELD.keyId], row[FIELD.keyName]) ?? undefined,
    tenant: row[FIELD.tenant] ?? undefined,
    model: row[FIELD.model] ?? undefined,
    route: row[FIELD.route] ?? undefined,
    upstream_model: row[FIELD.upstreamModel] ?? undefined,
    status: row[FIELD.status],
    latency_ms: row[FIELD.latencyMs],
    ttft_ms: row[FIELD.ttfbMs] ?? undefined,
    stream: row[FIELD.stream],
    tokens_in: row[FIELD.inputTokens],
    tokens_out: row[FIELD.outputTokens],
    // For reading: without a float product's noise (0.0000025499999999999997), as the admin views show it.
    cost_usd: row[FIELD.costUsd] ? roundUsd(row[FIELD.costUsd]) : undefined,
    error: row[FIELD.errorClass] ?? undefined,
    reason,
    detail,
  };
}

/**
 * An access line's time: its request's end (start plus latency), so that the line reads the same
 * whichever thread writes it and whenever.
 */
export const accessEndMs = (row: AuditRowFields): number => row[FIELD.startedAt] + row[FIELD.latencyMs];

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
    const row = rows[i] as AuditRowFields;
    const format = line === ROW_LINE.JSON ? jsonLine : textLine;
    n = format(parts, n, isoOf(accessEndMs(row)), "info", ACCESS_MESSAGE, accessFields(row, undefined));
  }
  parts.length = n;
  const text = parts.join("");
  parts.length = 0;
  return text;
}
