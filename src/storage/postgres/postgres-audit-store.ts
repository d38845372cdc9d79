import type { SQL } from "bun";
import { encodeAuditBatch } from "../../audit/audit-row-bytes.ts";
import { rowKeyText } from "../../audit/audit-row-key.ts";
import { threadEntry } from "../../core/thread-entry.ts";
import { auditRowSpan } from "../audit-row-span.ts";
import { auditThreadClient } from "../audit-thread-client.ts";
import { LineClaims } from "../line-claims.ts";
import type { AuditBatchResult, AuditStore } from "../storage.ts";
import { auditMigrations } from "./postgres-audit-migrations.ts";
import { type PostgresAuditRow, postgresRowToRecord, selectPostgresPage } from "./postgres-audit-select.ts";
import type { PostgresCalls } from "./postgres-calls.ts";
import type { PostgresOptions } from "./postgres-client.ts";
import { migratePostgres } from "./postgres-migrate.ts";
import { asNumber } from "./postgres-values.ts";

/** One tenant's sums as the client returns them (count and sums of integers: BIGINT/NUMERIC as text). */
interface TenantUsageRow {
  tenant: string;
  requests: string;
  input_tokens: string;
  output_tokens: string;
  cost_usd: number;
}

/** Thrown to roll the probe's transaction back. */
class ProbeDone extends Error {}

/**
 * The audit log in PostgreSQL, shared by every node. Inserts (COPY batches, postgres-audit-insert.ts)
 * run in a Worker thread with a connection of its own (postgres-audit-thread.ts): building and
 * sending the COPY text of a few thousand rows a second is CPU the event loop that serves
 * requests does not pay. The batch crosses as its rows' bytes (audit/audit-row-bytes.ts) and
 * the thread's reply settles `insert` as if it ran here: written/rejected counts, or the storage
 * failure that makes the writer keep the batch. Reads, retention deletes and the health probe are single statements and stay on
 * `sql`, the node's pool; the thread starts with the first insert.
 */
export async function createPostgresAuditStore(
  sql: SQL,
  calls: PostgresCalls,
  options: PostgresOptions,
): Promise<AuditStore & { close(): Promise<void> }> {
  await migratePostgres(sql, "audit", auditMigrations);
  const claims = new LineClaims();
  const thread = auditThreadClient(
    () =>
      threadEntry(
        import.meta.url,
        new URL("./postgres-audit-thread.ts", import.meta.url),
        "./storage/postgres/postgres-audit-thread.ts",
      ),
    { op: "open-postgres", options, lines: claims.cell },
  );

  // `lines`: the batch's claim on the access lines its rows carry (line-claims.ts).
  const insertBatch = (batch: Uint8Array<ArrayBuffer>, lines?: number): Promise<AuditBatchResult> =>
    thread.call({ op: "insert", records: batch, ...(lines === undefined ? {} : { claim: lines }) }, [
      batch.buffer,
    ]) as Promise<AuditBatchResult>;

  return {
    // A backlog (after an outage, or at peak) drains in few large COPYs: per-statement costs
    // (a round trip, a transaction) are paid per 2,000 rows, not per 500.
    batchSize: 2_000,
    // As in the SQLite thread's store: the writer's batches come as bytes (insertEncoded).
    insert: (records) =>
      records.length === 0
        ? Promise.resolve({ written: 0, rejected: 0 })
        : insertBatch(encodeAuditBatch(records)),
    insertEncoded: insertBatch,
    // The thread writes the access lines the writer's rows carry (line-claims.ts).
    threadLines: claims,
    async select(filter, after, limit) {
      const { text, params } = selectPostgresPage(filter, after, limit);
      const rows: PostgresAuditRow[] = await calls.read((db) => db.unsafe(text, params));
      return rows.map((row) => ({
        record: postgresRowToRecord(row),
        position: { startedAt: asNumber(row.started_at), id: asNumber(row.id) },
      }));
    },
    // The tenant index's (tenant, started_at) range of each tenant; a query on the pool, so the
    // event loop serves on while PostgreSQL sums.
    async tenantUsage(tenants, from, to) {
      const rows: TenantUsageRow[] = await calls.read(
        (db) => db`SELECT tenant, count(*) AS requests,
          sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens, sum(cost_usd) AS cost_usd
        FROM audit_log
        WHERE tenant = ANY(${db.array([...tenants], "TEXT")}::text[]) AND started_at >= ${from} AND started_at < ${to}
          AND front_door <> 'admin'
        GROUP BY tenant`,
      );
      return new Map(
        rows.map((row) => [
          row.tenant,
          {
            requests: asNumber(row.requests),
            inputTokens: asNumber(row.input_tokens),
            outputTokens: asNumber(row.output_tokens),
            costUsd: asNumber(row.cost_usd),
          },
        ]),
      );
    },
    async prune(before, limit) {
      const [row] = await calls.write(
        (db) => db`WITH gone AS (
          DELETE FROM audit_log WHERE id IN
            (SELECT id FROM audit_log WHERE started_at < ${before} ORDER BY started_at, id LIMIT ${limit})
          RETURNING id
        ), bodies AS (DELETE FROM audit_bodies WHERE log_id IN (SELECT id FROM gone))
        SELECT count(*) AS n FROM gone`,
      );
      return asNumber((row as { n: string }).n);
    },
    async alreadyStored(rows) {
      const span = auditRowSpan(rows);
      if (!span) return [];
      const stored: { request_id: string; started_at: string | number }[] = await calls.read(
        (db) => db`
        SELECT request_id, started_at FROM audit_log
        WHERE started_at BETWEEN ${span.from} AND ${span.to}
          AND request_id = ANY(${db.array(span.requestIds, "TEXT")}::text[])`,
      );
      // One key per stored row (two requests may share one): those of the keys asked for.
      const asked = new Set(rows.map(rowKeyText));
      return stored
        .map((row) => ({ requestId: row.request_id, startedAt: asNumber(row.started_at) }))
        .filter((row) => asked.has(rowKeyText(row)));
    },
    async probe() {
      try {
        await calls.transaction(async (tx) => {
          await tx`INSERT INTO audit_bodies (log_id) VALUES (-1) ON CONFLICT DO NOTHING`;
          throw new ProbeDone();
        });
      } catch (error) {
        if (!(error instanceof ProbeDone)) throw error;
      }
    },
    close: thread.close,
  };
}
