import type { SQL } from "bun";
import type { AuditRecord } from "../../audit/audit-record.ts";
import type { AuditBatchResult, AuditStore } from "../storage.ts";
import {
  type PostgresAuditRow,
  postgresRowToRecord,
  recordToPostgresRow,
  selectPostgresPage,
} from "./postgres-audit-select.ts";
import { isPostgresRejection } from "./postgres-failure.ts";
import { migratePostgres } from "./postgres-migrate.ts";
import { auditMigrations } from "./postgres-migrations.ts";
import { asNumber } from "./postgres-values.ts";

/** audit_log's columns with their PostgreSQL types, in `recordToPostgresRow`'s names. */
const AUDIT_COLUMNS = [
  ["request_id", "text"],
  ["started_at", "int8"],
  ["key_id", "text"],
  ["key_name", "text"],
  ["tenant", "text"],
  ["role", "text"],
  ["front_door", "text"],
  ["model", "text"],
  ["route", "text"],
  ["upstream_model", "text"],
  ["status", "int4"],
  ["error_class", "text"],
  ["stream", "bool"],
  ["latency_ms", "float8"],
  ["ttfb_ms", "float8"],
  ["input_tokens", "int4"],
  ["output_tokens", "int4"],
  ["cost_usd", "float8"],
  ["client_ip", "text"],
  ["user_agent", "text"],
  ["error_message", "text"],
  ["dropped", "text"],
  ["attempts", "text"],
  ["node", "text"],
  ["served_node", "text"],
] as const satisfies readonly (readonly [keyof ReturnType<typeof recordToPostgresRow>, string])[];

/** Thrown to roll the probe's transaction back. */
class ProbeDone extends Error {}

/**
 * The audit log in PostgreSQL, shared by every node. A batch is one transaction with one
 * INSERT … SELECT FROM unnest(column arrays) (and one for bodies); a value PostgreSQL refuses (data or integrity error) sends that batch through row by
 * row so that only the bad record is dropped. Any other error is a storage failure: it is thrown
 * and the writer keeps the batch (the pool reconnects on a later call).
 */
export async function createPostgresAuditStore(sql: SQL): Promise<AuditStore> {
  await migratePostgres(sql, "audit", auditMigrations);

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
      const rows = records.map(recordToPostgresRow);
      // One array per column and `unnest`: 21 parameters for the whole batch, not 21 per row.
      const columns: { name: string; type: string; values: unknown[] }[] = AUDIT_COLUMNS.map(
        ([name, type]) => ({
          name,
          type,
          values: rows.map((row) => row[name]),
        }),
      );
      if (withBodies) columns.unshift({ name: "id", type: "int8", values: ids });
      await tx.unsafe(
        `INSERT INTO audit_log (${columns.map((c) => c.name).join(", ")})
         SELECT * FROM unnest(${columns.map((c, i) => `$${i + 1}::${c.type}[]`).join(", ")})`,
        columns.map((c) => c.values),
      );
      if (!withBodies) return;
      const bodies = records.flatMap((record, i) => {
        const request = record.requestBody ?? null;
        const response = record.responseBody ?? null;
        return request !== null || response !== null
          ? [{ log_id: ids[i]!, request_body: request, response_body: response }]
          : [];
      });
      await tx`INSERT INTO audit_bodies ${sql(bodies)}`;
    });

  return {
    async insert(records): Promise<AuditBatchResult> {
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
          result.rejected++;
        }
      }
      return result;
    },
    async select(filter, after, limit) {
      const { text, params } = selectPostgresPage(filter, after, limit);
      const rows: PostgresAuditRow[] = await sql.unsafe(text, params);
      return rows.map((row) => ({
        record: postgresRowToRecord(row),
        position: { startedAt: asNumber(row.started_at), id: asNumber(row.id) },
      }));
    },
    async prune(before, limit) {
      const [row] = await sql`WITH gone AS (
          DELETE FROM audit_log WHERE id IN
            (SELECT id FROM audit_log WHERE started_at < ${before} ORDER BY started_at, id LIMIT ${limit})
          RETURNING id
        ), bodies AS (DELETE FROM audit_bodies WHERE log_id IN (SELECT id FROM gone))
        SELECT count(*) AS n FROM gone`;
      return asNumber((row as { n: string }).n);
    },
    async probe() {
      try {
        await sql.begin(async (tx) => {
          await tx`INSERT INTO audit_bodies (log_id) VALUES (-1) ON CONFLICT DO NOTHING`;
          throw new ProbeDone();
        });
      } catch (error) {
        if (!(error instanceof ProbeDone)) throw error;
      }
    },
  };
}
