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

/** Rows per INSERT statement: 21 columns stay far below PostgreSQL's 65,535 parameters. */
const ROWS_PER_STATEMENT = 1000;

/** Thrown to roll the probe's transaction back. */
class ProbeDone extends Error {}

/**
 * The audit log in PostgreSQL, shared by every node. A batch is one transaction of multi-row
 * INSERTs; a value PostgreSQL refuses (data or integrity error) sends that batch through row by
 * row so that only the bad record is dropped. Any other error is a storage failure: it is thrown
 * and the writer keeps the batch (the pool reconnects on a later call).
 */
export async function createPostgresAuditStore(sql: SQL): Promise<AuditStore> {
  await migratePostgres(sql, "audit", auditMigrations);

  const write = (records: readonly AuditRecord[]) =>
    sql.begin(async (tx) => {
      for (let at = 0; at < records.length; at += ROWS_PER_STATEMENT) {
        const chunk = records.slice(at, at + ROWS_PER_STATEMENT);
        const ids: { id: string }[] =
          await tx`INSERT INTO audit_log ${sql(chunk.map(recordToPostgresRow))} RETURNING id`;
        // RETURNING yields the rows of a VALUES list in their order.
        const bodies = chunk.flatMap((record, i) => {
          const request = record.requestBody ?? null;
          const response = record.responseBody ?? null;
          const id = ids[i]?.id;
          return (request !== null || response !== null) && id !== undefined
            ? [{ log_id: id, request_body: request, response_body: response }]
            : [];
        });
        if (bodies.length > 0) await tx`INSERT INTO audit_bodies ${sql(bodies)}`;
      }
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
