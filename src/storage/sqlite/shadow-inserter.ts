import type { Database } from "bun:sqlite";
import type { ShadowRecord } from "../../shadow/shadow-api-schema.ts";

/** One `shadow_pairs` row: the columns filters and aggregates read, then the record's JSON. */
export type ShadowRow = [
  id: string,
  at: number,
  model: string,
  tenant: string | null,
  /** '' for none: the trigger for an older release's inserts (shadow migration 4) passes it by. */
  keyId: string,
  shadowOk: number,
  exact: number | null,
  similarity: number | null,
  shadowJsonValid: number | null,
  toolsAgree: number | null,
  primaryLatencyMs: number,
  shadowLatencyMs: number,
  primaryCostUsd: number,
  shadowCostUsd: number,
  record: string,
];

const flag = (value: boolean | null) => (value === null ? null : value ? 1 : 0);

/**
 * A pair as its row: made where the batch is written (the audit thread, which receives the
 * records as JSON text; or the store's own handle).
 */
export function shadowRow(record: ShadowRecord): ShadowRow {
  const { agreement } = record;
  return [
    record.id,
    record.at,
    record.model,
    record.tenant,
    record.keyId ?? "",
    record.shadow.status >= 200 && record.shadow.status < 300 ? 1 : 0,
    flag(agreement.exact),
    agreement.similarity,
    flag(agreement.shadowJsonValid),
    flag(agreement.toolsAgree),
    record.primary.latencyMs,
    record.shadow.latencyMs,
    record.primary.costUsd,
    record.shadow.costUsd,
    JSON.stringify(record),
  ];
}

/** Writes a batch of rows on `db` in one transaction (the table is migrated by the store). */
export function shadowInserter(db: Database): (rows: readonly ShadowRow[]) => void {
  const insert = db.query(
    `INSERT INTO shadow_pairs (id, at, model, tenant, key_id, shadow_ok, exact, similarity, shadow_json_valid,
       tools_agree, primary_latency_ms, shadow_latency_ms, primary_cost_usd, shadow_cost_usd, record)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  return db.transaction((rows: readonly ShadowRow[]) => {
    for (const row of rows) insert.run(...row);
  });
}
