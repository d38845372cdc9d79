/**
 * A pair whose copy the gateway itself cut off or lost: a stop (and a shadow thread that failed,
 * or a worker that left mid-copy) records it `503 unavailable`, which is nothing the candidate
 * did. Read off the record's JSON text, whose shadow side comes after `"shadow":{"route":` and
 * holds its status and error class in that order (shadow-record.ts): no column to migrate, and
 * the text is read only for pairs whose copy failed.
 */
const CUT_BY_GATEWAY = `record LIKE '%"shadow":{"route":%"status":503,"errorClass":"unavailable",%'`;

/**
 * The per-model figures of `ShadowStore.aggregate`, as both SQL stores read them (the rows'
 * names are each store's `AggregateRow`). A copy's mean latency is its answered copies' (2xx): a
 * copy cut off by its timeout would say nothing of the candidate's speed but the timeout's.
 */
export const SHADOW_AGGREGATE_COLUMNS = `model, count(*) AS pairs, sum(shadow_ok) AS shadow_ok,
  avg(exact) AS exact_rate, avg(similarity) AS mean_similarity, avg(shadow_json_valid) AS json_rate,
  avg(tools_agree) AS tools_rate, avg(primary_latency_ms) AS primary_latency,
  avg(CASE WHEN shadow_ok = 1 THEN shadow_latency_ms END) AS shadow_latency,
  sum(primary_cost_usd) AS primary_cost, sum(shadow_cost_usd) AS shadow_cost`;

/**
 * The pairs the figures count: all but those the gateway cut off, which would lower the
 * candidate's success share at every stop. Their records are listed as they are. A CASE, so the
 * record's text is read only when the copy failed, whichever order the database would choose.
 */
export const AGGREGATED_PAIRS = `CASE WHEN shadow_ok = 1 THEN 1 WHEN ${CUT_BY_GATEWAY} THEN 0 ELSE 1 END = 1`;
