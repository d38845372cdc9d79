import type { SQL } from "bun";
import { type ShadowAggregate, type ShadowRecord, shadowSchemas } from "../../shadow/shadow-api-schema.ts";
import { AGGREGATED_PAIRS, SHADOW_AGGREGATE_COLUMNS } from "../shadow-aggregate-sql.ts";
import { noSuchPair } from "../shadow-cursor.ts";
import type { ShadowFilter, ShadowStore } from "../storage.ts";
import { type BackfillState, backfillState } from "./postgres-backfill.ts";
import type { PostgresCalls } from "./postgres-calls.ts";
import { migratePostgres } from "./postgres-migrate.ts";
import { callerClause, shadowKeyIdBackfill } from "./postgres-shadow-backfill.ts";
import { shadowMigrations } from "./postgres-shadow-migrations.ts";
import { asNumber } from "./postgres-values.ts";

const flag = (value: boolean | null) => (value === null ? null : value ? 1 : 0);
const numberOrNull = (value: string | number | null) => (value === null ? null : Number(value));

function where(filter: ShadowFilter, params: (string | number)[], keyIds: BackfillState): string {
  const clauses: string[] = [];
  const add = (clause: (param: string) => string, value: string | number | undefined) => {
    if (value === undefined) return;
    params.push(value);
    clauses.push(clause(`$${params.length}`));
  };
  add((p) => `model = ${p}`, filter.model);
  add((p) => `tenant = ${p}`, filter.tenant);
  add((p) => callerClause(p, keyIds.done), filter.keyId);
  add((p) => `at >= ${p}`, filter.from);
  add((p) => `at < ${p}`, filter.to);
  return clauses.length > 0 ? clauses.join(" AND ") : "TRUE";
}

/** Aggregates arrive as numeric text (sum/avg over PostgreSQL numerics) or null. */
interface AggregateRow {
  model: string;
  pairs: string;
  shadow_ok: string;
  exact_rate: string | null;
  mean_similarity: number | null;
  json_rate: string | null;
  tools_rate: string | null;
  primary_latency: number | null;
  shadow_latency: number | null;
  primary_cost: number;
  shadow_cost: number;
}

/**
 * Shadow pairs in PostgreSQL (component `shadow`), the same table shape as SQLite's. With it, the
 * backfill of the older pairs' caller ids (postgres-shadow-backfill.ts), for the node to run once it
 * serves.
 */
export async function createPostgresShadowStore(
  sql: SQL,
  calls: PostgresCalls,
): Promise<{ store: ShadowStore; backfill: BackfillState }> {
  await migratePostgres(sql, "shadow", shadowMigrations);
  const keyIds = await backfillState(sql, shadowKeyIdBackfill);
  const store: ShadowStore = {
    async insert(records) {
      if (records.length === 0) return;
      // One multi-row INSERT: one statement, one round trip per batch.
      const rows = records.map((record) => {
        const { agreement } = record;
        return {
          id: record.id,
          at: record.at,
          model: record.model,
          tenant: record.tenant,
          // '', not NULL, for none: the trigger for an older release's inserts passes it by.
          key_id: record.keyId ?? "",
          shadow_ok: record.shadow.status >= 200 && record.shadow.status < 300 ? 1 : 0,
          exact: flag(agreement.exact),
          similarity: agreement.similarity,
          shadow_json_valid: flag(agreement.shadowJsonValid),
          tools_agree: flag(agreement.toolsAgree),
          primary_latency_ms: record.primary.latencyMs,
          shadow_latency_ms: record.shadow.latencyMs,
          primary_cost_usd: record.primary.costUsd,
          shadow_cost_usd: record.shadow.costUsd,
          record: JSON.stringify(record),
        };
      });
      await calls.write((db) => db`INSERT INTO shadow_pairs ${db(rows)}`);
    },
    async list(filter, beforeId, limit) {
      const params: (string | number)[] = [];
      let text = `SELECT record FROM shadow_pairs WHERE ${where(filter, params, keyIds)}`;
      if (beforeId !== null) {
        // Within the tenant the pages are of (shadow-cursor.ts): another's pair names none.
        const tenant = filter.tenant;
        const [cursor]: { seq: string | number }[] = await calls.read((db) =>
          tenant === undefined
            ? db`SELECT seq FROM shadow_pairs WHERE id = ${beforeId}`
            : db`SELECT seq FROM shadow_pairs WHERE id = ${beforeId} AND tenant = ${tenant}`,
        );
        if (!cursor) throw noSuchPair();
        params.push(cursor.seq);
        text += ` AND seq < $${params.length}`;
      }
      params.push(limit);
      text += ` ORDER BY seq DESC LIMIT $${params.length}`;
      const rows: { record: string }[] = await calls.read((db) => db.unsafe(text, params));
      const recordSchema = shadowSchemas().record;
      return rows.map((row) => recordSchema.parse(JSON.parse(row.record)) as ShadowRecord);
    },
    async aggregate(filter) {
      const params: (string | number)[] = [];
      const rows: AggregateRow[] = await calls.read((db) =>
        db.unsafe(
          `SELECT ${SHADOW_AGGREGATE_COLUMNS}
             FROM shadow_pairs WHERE ${AGGREGATED_PAIRS} AND ${where(filter, params, keyIds)} GROUP BY model ORDER BY model`,
          params,
        ),
      );
      return rows.map(
        (row): ShadowAggregate => ({
          model: row.model,
          pairs: asNumber(row.pairs),
          shadowOk: asNumber(row.shadow_ok),
          exactRate: numberOrNull(row.exact_rate),
          meanSimilarity: row.mean_similarity,
          shadowJsonValidRate: numberOrNull(row.json_rate),
          toolAgreementRate: numberOrNull(row.tools_rate),
          primaryLatencyMsMean: row.primary_latency,
          shadowLatencyMsMean: row.shadow_latency,
          primaryCostUsd: row.primary_cost,
          shadowCostUsd: row.shadow_cost,
        }),
      );
    },
    async prune(before, limit) {
      const result = await calls.write(
        (db) => db`DELETE FROM shadow_pairs WHERE seq IN
          (SELECT seq FROM shadow_pairs WHERE at < ${before} ORDER BY at LIMIT ${limit})`,
      );
      return result.count;
    },
  };
  return { store, backfill: keyIds };
}
