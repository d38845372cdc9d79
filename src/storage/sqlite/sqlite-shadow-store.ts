import type { Database, SQLQueryBindings } from "bun:sqlite";
import { type ShadowAggregate, type ShadowRecord, shadowSchemas } from "../../shadow/shadow-api-schema.ts";
import { AGGREGATED_PAIRS, SHADOW_AGGREGATE_COLUMNS } from "../shadow-aggregate-sql.ts";
import { noSuchPair } from "../shadow-cursor.ts";
import type { ShadowFilter, ShadowStore } from "../storage.ts";
import { migrate } from "./migrate.ts";
import { shadowInserter, shadowRow } from "./shadow-inserter.ts";
import { shadowMigrations } from "./shadow-migrations.ts";

function where(filter: ShadowFilter): { sql: string; params: SQLQueryBindings[] } {
  const clauses: string[] = [];
  const params: SQLQueryBindings[] = [];
  const add = (clause: string, value: SQLQueryBindings | undefined) => {
    if (value === undefined) return;
    clauses.push(clause);
    params.push(value);
  };
  add("model = ?", filter.model);
  add("tenant = ?", filter.tenant);
  add("key_id = ?", filter.keyId);
  add("at >= ?", filter.from);
  add("at < ?", filter.to);
  return { sql: clauses.length > 0 ? clauses.join(" AND ") : "1", params };
}

interface AggregateRow {
  model: string;
  pairs: number;
  shadow_ok: number;
  exact_rate: number | null;
  mean_similarity: number | null;
  json_rate: number | null;
  tools_rate: number | null;
  primary_latency: number | null;
  shadow_latency: number | null;
  primary_cost: number;
  shadow_cost: number;
}

/**
 * Shadow pairs in the gateway's SQLite file (component `shadow`). `write` is where batches go
 * when not this handle: the audit thread (threaded-audit-store.ts), so a commit (an fsync)
 * never holds the event loop; reads stay on `db`.
 */
export function createSqliteShadowStore(
  db: Database,
  write?: { records(records: readonly ShadowRecord[]): Promise<void>; json(json: string): Promise<void> },
): ShadowStore {
  migrate(db, "shadow", shadowMigrations);
  const local = write ? undefined : shadowInserter(db);
  return {
    async insert(records) {
      if (records.length === 0) return;
      if (write) await write.records(records);
      else local?.(records.map(shadowRow));
    },
    ...(write ? { insertJson: (json: string) => write.json(json) } : {}),
    async list(filter, beforeId, limit) {
      const { sql, params } = where(filter);
      let before: number | undefined;
      if (beforeId !== null) {
        // Within the tenant the pages are of (shadow-cursor.ts): another's pair names none.
        const cursor =
          filter.tenant === undefined
            ? db.query<{ seq: number }, [string]>("SELECT seq FROM shadow_pairs WHERE id = ?").get(beforeId)
            : db
                .query<{ seq: number }, [string, string]>(
                  "SELECT seq FROM shadow_pairs WHERE id = ? AND tenant = ?",
                )
                .get(beforeId, filter.tenant);
        if (!cursor) throw noSuchPair();
        before = cursor.seq;
      }
      const rows = db
        .query<{ record: string }, SQLQueryBindings[]>(
          `SELECT record FROM shadow_pairs WHERE ${sql}${before === undefined ? "" : " AND seq < ?"} ORDER BY seq DESC LIMIT ?`,
        )
        .all(...params, ...(before === undefined ? [] : [before]), limit);
      const recordSchema = shadowSchemas().record;
      return rows.map((row) => recordSchema.parse(JSON.parse(row.record)) as ShadowRecord);
    },
    async aggregate(filter) {
      const { sql, params } = where(filter);
      const rows = db
        .query<AggregateRow, SQLQueryBindings[]>(
          `SELECT ${SHADOW_AGGREGATE_COLUMNS}
             FROM shadow_pairs WHERE ${AGGREGATED_PAIRS} AND ${sql} GROUP BY model ORDER BY model`,
        )
        .all(...params);
      return rows.map(
        (row): ShadowAggregate => ({
          model: row.model,
          pairs: row.pairs,
          shadowOk: row.shadow_ok,
          exactRate: row.exact_rate,
          meanSimilarity: row.mean_similarity,
          shadowJsonValidRate: row.json_rate,
          toolAgreementRate: row.tools_rate,
          primaryLatencyMsMean: row.primary_latency,
          shadowLatencyMsMean: row.shadow_latency,
          primaryCostUsd: row.primary_cost,
          shadowCostUsd: row.shadow_cost,
        }),
      );
    },
    async prune(before, limit) {
      return db.run(
        "DELETE FROM shadow_pairs WHERE seq IN (SELECT seq FROM shadow_pairs WHERE at < ? LIMIT ?)",
        [before, limit],
      ).changes;
    },
  };
}
