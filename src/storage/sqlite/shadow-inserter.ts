import type { Database } from "bun:sqlite";

/**
 * Writes a batch of pairs, given as the JSON text of an array of ShadowRecord, on `db` in one
 * statement (atomic): SQLite reads the columns out of the JSON itself (`json_each`, `->>`), so
 * no record is parsed or serialised again in JavaScript, on the audit thread or anywhere. The
 * `record` column keeps each record's JSON; booleans become 1/0 and nulls stay NULL, as the
 * aggregates expect. The table is migrated by the store (sqlite-shadow-store.ts).
 */
export function shadowInserter(db: Database): (recordsJson: string) => void {
  const insert = db.query(
    `INSERT INTO shadow_pairs (id, at, model, tenant, shadow_ok, exact, similarity, shadow_json_valid,
       tools_agree, primary_latency_ms, shadow_latency_ms, primary_cost_usd, shadow_cost_usd, record)
     SELECT value ->> '$.id', value ->> '$.at', value ->> '$.model', value ->> '$.tenant',
            (value ->> '$.shadow.status') BETWEEN 200 AND 299,
            value ->> '$.agreement.exact', value ->> '$.agreement.similarity',
            value ->> '$.agreement.shadowJsonValid', value ->> '$.agreement.toolsAgree',
            value ->> '$.primary.latencyMs', value ->> '$.shadow.latencyMs',
            value ->> '$.primary.costUsd', value ->> '$.shadow.costUsd', value
       FROM json_each(?) ORDER BY key`,
  );
  return (recordsJson) => {
    insert.run(recordsJson);
  };
}
