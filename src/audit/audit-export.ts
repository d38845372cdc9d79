import { printableJson } from "../core/printable.ts";
import { roundUsd } from "../core/round-usd.ts";
import { yieldToLoop } from "../core/yield-to-loop.ts";
import type { AuditStore } from "../storage/storage.ts";
import { type AuditAttempt, encodeAttempts } from "./audit-attempt.ts";
import type { AuditPosition } from "./audit-cursor.ts";
import type { AuditFilter } from "./audit-query-schema.ts";
import type { AuditRecord } from "./audit-record.ts";
import { csvLine } from "./csv-line.ts";

export type ExportFormat = "ndjson" | "csv";

/**
 * CSV columns, in AuditRecord's order: every field NDJSON carries (bodies only when asked for),
 * so both formats say the same. `attempts` is one cell of JSON (the list as NDJSON has it).
 */
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
  "errorMessage",
  "dropped",
  "attempts",
  "node",
  "servedNode",
  "app",
] as const satisfies readonly (keyof AuditRecord)[];
const BODY_COLUMNS = ["requestBody", "responseBody"] as const satisfies readonly (keyof AuditRecord)[];

type Column = (typeof COLUMNS)[number] | (typeof BODY_COLUMNS)[number];

/** One NDJSON line: the record as its JSON (what an export and a stop's unwritten rows write). */
export const ndjsonLine = (record: AuditRecord): string => `${printableJson(record)}\n`;

/**
 * One CSV cell: the field's value, the attempt list as its JSON, costs (the record's and a billed
 * attempt's) without a float product's noise (a spreadsheet's reader's figure, as the admin views
 * show it). NDJSON keeps the record exact: the API's audit rows, and what `mindgw audit import`
 * adds to the spend totals.
 */
const cell = (record: AuditRecord, column: Column) =>
  column === "attempts"
    ? encodeAttempts(record.attempts?.map(withRoundedCost))
    : column === "costUsd"
      ? roundUsd(record.costUsd)
      : record[column];

const withRoundedCost = (attempt: AuditAttempt): AuditAttempt =>
  attempt.billed
    ? { ...attempt, billed: { ...attempt.billed, costUsd: roundUsd(attempt.billed.costUsd) } }
    : attempt;

export interface ExportOptions {
  /** Rows per read (and per chunk). Each read is its own short statement. */
  pageSize?: number;
}

/**
 * The filtered log as text chunks (NDJSON: one AuditRecord per line; CSV: a header line, then
 * RFC 4180 records). Memory stays constant however many rows match: rows are read a page at a
 * time by keyset (`AuditStore.select`), and each page is its own short read, so an export of
 * millions of rows never holds a snapshot (in SQLite, one that would stop WAL checkpoints). Yields to the event loop between pages so a
 * running gateway keeps serving. It holds every row in the log when it began; of those written
 * while it runs, only those whose start is still ahead (audit-query.ts).
 */
export async function* exportAudit(
  store: Pick<AuditStore, "select">,
  filter: AuditFilter,
  format: ExportFormat,
  options: ExportOptions = {},
): AsyncGenerator<string> {
  const pageSize = options.pageSize ?? 1000;
  const columns = filter.bodies ? [...COLUMNS, ...BODY_COLUMNS] : COLUMNS;
  if (format === "csv") yield csvLine(columns);
  let after: AuditPosition | null = null;
  for (;;) {
    const entries = await store.select(filter, after, pageSize);
    if (entries.length === 0) return;
    let chunk = "";
    for (const { record } of entries) {
      chunk += format === "csv" ? csvLine(columns.map((c) => cell(record, c))) : ndjsonLine(record);
    }
    yield chunk;
    if (entries.length < pageSize) return;
    after = entries[entries.length - 1]!.position;
    await yieldToLoop();
  }
}

/** The same export as a byte stream that reads a page only when the consumer pulls. */
export function exportAuditStream(
  store: Pick<AuditStore, "select">,
  filter: AuditFilter,
  format: ExportFormat,
  options: ExportOptions = {},
): ReadableStream<Uint8Array> {
  const chunks = exportAudit(store, filter, format, options);
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
