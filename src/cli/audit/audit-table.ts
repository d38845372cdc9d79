import type { AuditRecord } from "../../audit/audit-record.ts";
import { callerLabel } from "../../audit/caller-label.ts";
import { dollars } from "../dollars.ts";
import { type Column, textTable } from "../text-table.ts";

const dash = (value: string | number | null) => (value === null || value === "" ? "-" : String(value));

const APP: Column<AuditRecord> = ["APP", (r) => dash(r.app ?? null)];

const columns = (withApp: boolean): Column<AuditRecord>[] => [
  ["TIME", (r) => new Date(r.startedAt).toISOString()],
  ["STATUS", (r) => String(r.status)],
  ["KEY", (r) => dash(callerLabel(r.keyId, r.keyName) ?? r.keyId)],
  ...(withApp ? [APP] : []),
  ["MODEL", (r) => dash(r.model)],
  ["ROUTE", (r) => dash(r.route)],
  ["MS", (r) => r.latencyMs.toFixed(1)],
  ["TOKENS", (r) => `${r.inputTokens}/${r.outputTokens}`],
  ["COST", (r) => (r.costUsd === 0 ? "-" : dollars(r.costUsd))],
  ["ERROR", (r) => dash(r.errorClass)],
  ["REQUEST", (r) => r.requestId],
];

/**
 * One page as an aligned table for people; `--json` (NDJSON) is for scripts. An APP column when a
 * row of the page came through an app (`apps:`), as the web UI's Requests page has.
 */
export function auditTable(records: readonly AuditRecord[]): string {
  return textTable(columns(records.some((r) => r.app != null)), records);
}
