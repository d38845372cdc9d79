import type { SQL } from "bun";
import type { AuditRecord } from "../../audit/audit-record.ts";
import type { AuditBatchResult, AuditStore } from "../storage.ts";
import {
  type PostgresAuditRow,
  postgresRowToRecord,
  recordToPostgresRow,
  selectPostgresPage,
} from "./postgres-audit-select.ts";
import { copyRows } from "./postgres-copy.ts";
import { isPostgresRejection } from "./postgres-failure.ts";
import { migratePostgres } from "./postgres-migrate.ts";
import { auditMigrations } from "./postgres-migrations.ts";
import { asNumber } from "./postgres-values.ts";

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
] as const satisfies readonly (keyof ReturnType<typeof recordToPostgresRow>)[];

/** Thrown to roll the probe's transaction back. */
class ProbeDone extends Error {}

/**
 * The audit log in PostgreSQL, shared by every node. A batch is one transaction with one
 * `COPY … FROM STDIN` (and one for bodies): the server parses plain text rows, no statement or
 * parameter per row, which is what ingest speed comes down to. A value PostgreSQL refuses (data
 * or integrity error) sends that batch through row by row so that only the bad record is dropped. Any other error is a storage failure: it is thrown
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

  return {
    // A backlog (after an outage, or at peak) drains in few large COPYs: per-statement costs
    // (a round trip, a transaction) are paid per 2,000 rows, not per 500.
    batchSize: 2_000,
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
