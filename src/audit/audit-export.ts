import type { Database } from "bun:sqlite";
import type { AuditPosition } from "./audit-cursor.ts";
import type { AuditFilter } from "./audit-query-schema.ts";
import type { AuditRecord } from "./audit-record.ts";
import { type AuditRow, rowToRecord, selectPage } from "./audit-select.ts";
import { csvLine } from "./csv-line.ts";

export type ExportFormat = "ndjson" | "csv";

/** CSV columns, in AuditRecord's order. */
const COLUMNS = [
  "requestId",
  "startedAt",
  "keyId",
  "keyName",
  "tenant",
  "role",
  "frontDoor",
  "model",
  "route",
  "upstreamModel",
  "status",
  "errorClass",
  "stream",
  "latencyMs",
  "ttfbMs",
  "inputTokens",
  "outputTokens",
  "costUsd",
  "clientIp",
  "userAgent",
] as const satisfies readonly (keyof AuditRecord)[];
const BODY_COLUMNS = ["requestBody", "responseBody"] as const satisfies readonly (keyof AuditRecord)[];

export interface ExportOptions {
  /** Rows per read (and per chunk). Each read is its own short statement. */
  pageSize?: number;
}

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * The filtered log as text chunks (NDJSON: one AuditRecord per line; CSV: a header line, then
 * RFC 4180 records). Memory stays constant however many rows match: rows are read a page at a
 * time by keyset, and each page is its own short read, so an export of millions of rows never
 * holds a WAL snapshot that would stop checkpoints. Yields to the event loop between pages so a
 * running gateway keeps serving.
 */
export async function* exportAudit(
  db: Database,
  filter: AuditFilter,
  format: ExportFormat,
  options: ExportOptions = {},
): AsyncGenerator<string> {
  const pageSize = options.pageSize ?? 1000;
  const columns = filter.bodies ? [...COLUMNS, ...BODY_COLUMNS] : COLUMNS;
  if (format === "csv") yield csvLine(columns);
  let after: AuditPosition | null = null;
  for (;;) {
    const { sql, params } = selectPage(filter, after, pageSize);
    const rows = db.query<AuditRow, typeof params>(sql).all(...params);
    if (rows.length === 0) return;
    let chunk = "";
    for (const row of rows) {
      const record = rowToRecord(row);
      chunk += format === "csv" ? csvLine(columns.map((c) => record[c])) : `${JSON.stringify(record)}\n`;
    }
    yield chunk;
    if (rows.length < pageSize) return;
    const last = rows[rows.length - 1]!;
    after = { startedAt: last.started_at, id: last.id };
    await yieldToLoop();
  }
}

/** The same export as a byte stream that reads a page only when the consumer pulls. */
export function exportAuditStream(
  db: Database,
  filter: AuditFilter,
  format: ExportFormat,
  options: ExportOptions = {},
): ReadableStream<Uint8Array> {
  const chunks = exportAudit(db, filter, format, options);
  const encoder = new TextEncoder();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const next = await chunks.next();
        if (next.done) controller.close();
        else controller.enqueue(encoder.encode(next.value));
      },
      async cancel() {
        await chunks.return(undefined);
      },
    },
    { highWaterMark: 1 },
  );
}

/** The HTTP content type of each format. */
export const EXPORT_CONTENT_TYPE: Record<ExportFormat, string> = {
  ndjson: "application/x-ndjson",
  csv: "text/csv; charset=utf-8",
};
