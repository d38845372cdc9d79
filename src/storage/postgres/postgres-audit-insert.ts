import type { SQL } from "bun";
import type { AuditRecord } from "../../audit/audit-record.ts";
import { countRefusal } from "../count-refusal.ts";
import type { AuditBatchResult } from "../storage.ts";
import { recordToPostgresRow } from "./postgres-audit-select.ts";
import { copyRows } from "./postgres-copy.ts";
import { isPostgresRejection } from "./postgres-failure.ts";
import { postgresRefusal } from "./postgres-refusal.ts";

/** audit_log's columns, in `recordToPostgresRow`'s names. */
const COLUMN_NAMES = [
  "request_id",
  "started_at",
  "key_id",
  "key_name",
  "tenant",
  "role",
  "front_door",
  "model",
  "route",
  "upstream_model",
  "status",
  "error_class",
  "stream",
  "latency_ms",
  "ttfb_ms",
  "input_tokens",
  "output_tokens",
  "cost_usd",
  "client_ip",
  "user_agent",
  "error_message",
  "dropped",
  "attempts",
  "node",
  "served_node",
  "app",
] as const satisfies readonly (keyof ReturnType<typeof recordToPostgresRow>)[];

/**
 * Audit batches into PostgreSQL, as the audit thread (postgres-audit-thread.ts) writes them. A
 * batch is one transaction with one `COPY … FROM STDIN` (and one for bodies): the server parses
 * plain text rows, no statement or parameter per row, which is what ingest speed comes down to.
 * A value PostgreSQL refuses (data or integrity error) sends that batch through row by row so
 * that only the bad record is dropped, named in the result (its log line: audit/refused-rows-log.ts). Any other error is a storage failure: it is thrown and
 * the writer keeps the batch (the client reconnects on a later call).
 */
export function postgresAuditInsert(
  sql: SQL,
): (records: readonly AuditRecord[]) => Promise<AuditBatchResult> {
  const write = (records: readonly AuditRecord[]) =>
    sql.begin(async (tx) => {
      const withBodies = records.some(
        (r) => (r.requestBody ?? null) !== null || (r.responseBody ?? null) !== null,
      );
      // Ids are taken up front only when bodies need them: then each body row knows its log row.
      const ids: string[] = withBodies
        ? (
            (await tx`SELECT nextval('audit_log_id_seq')::text AS id FROM generate_series(1, ${records.length})`) as {
              id: string;
            }[]
          ).map((row) => row.id)
        : [];
      await copyRows(tx, "audit_log", withBodies ? ["id", ...COLUMN_NAMES] : COLUMN_NAMES, (push) => {
        records.forEach((record, i) => {
          const row = recordToPostgresRow(record);
          const values = COLUMN_NAMES.map((name) => row[name]);
          push(withBodies ? [ids[i], ...values] : values);
        });
      });
      if (!withBodies) return;
      await copyRows(tx, "audit_bodies", ["log_id", "request_body", "response_body"], (push) => {
        records.forEach((record, i) => {
          const request = record.requestBody ?? null;
          const response = record.responseBody ?? null;
          if (request !== null || response !== null) push([ids[i], request, response]);
        });
      });
    });

  return async (records) => {
    if (records.length === 0) return { written: 0, rejected: 0 };
    try {
      await write(records);
      return { written: records.length, rejected: 0 };
    } catch (error) {
      if (!isPostgresRejection(error)) throw error;
    }
    const result: AuditBatchResult = { written: 0, rejected: 0 };
    for (const record of records) {
      try {
        await write([record]);
        result.written++;
      } catch (error) {
        if (!isPostgresRejection(error)) throw error;
        countRefusal(result, { requestId: record.requestId, reason: postgresRefusal(error) });
      }
    }
    return result;
  };
}
