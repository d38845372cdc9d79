import type { AuditRecord } from "../../audit/audit-record.ts";

const dash = (value: string | number | null) => (value === null || value === "" ? "-" : String(value));

const columns: [string, (r: AuditRecord) => string][] = [
  ["TIME", (r) => new Date(r.startedAt).toISOString()],
  ["STATUS", (r) => String(r.status)],
  ["KEY", (r) => dash(r.keyName ?? r.keyId)],
  ["MODEL", (r) => dash(r.model)],
  ["ROUTE", (r) => dash(r.route)],
  ["MS", (r) => r.latencyMs.toFixed(1)],
  ["TOKENS", (r) => `${r.inputTokens}/${r.outputTokens}`],
  ["COST", (r) => (r.costUsd === 0 ? "-" : r.costUsd.toFixed(6))],
  ["ERROR", (r) => dash(r.errorClass)],
  ["REQUEST", (r) => r.requestId],
];

/** One page as an aligned table for people; `--json` (NDJSON) is for scripts. */
export function auditTable(records: readonly AuditRecord[]): string {
  const rows = [columns.map(([title]) => title), ...records.map((r) => columns.map(([, cell]) => cell(r)))];
  const widths = columns.map((_, i) => Math.max(...rows.map((row) => row[i]?.length ?? 0)));
  return `${rows
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join("  ")
        .trimEnd(),
    )
    .join("\n")}\n`;
}
