/**
 * A pair whose copy the gateway itself cut off or lost: a stop (and a shadow thread that failed,
 * or a worker that left mid-copy) records it `503 unavailable`, which is nothing the candidate
 * did. Read off the record's JSON text, whose shadow side comes after `"shadow":{"route":` and
 * holds its status and error class in that order (shadow-record.ts): no column to migrate, and
 * the text is read only for pairs whose copy failed.
 */
const CUT_BY_GATEWAY = `record LIKE '%"shadow":{"route":%"status":503,"errorClass":"unavailable",%'`;

/**
 * The pairs where both sides answered: the copy 2xx, and the two compared (`exact` is null when
 * either side failed: agreement.ts). A pair is compared only with the primary's answer.
 */
const BOTH_ANSWERED = "shadow_ok = 1 AND exact IS NOT NULL";

/**
 * The per-model figures of `ShadowStore.aggregate`, as both SQL stores read them (the rows'
 * names are each store's `AggregateRow`). Both mean latencies are over the pairs where both sides
 * answered: a copy cut off by its timeout would say nothing of the candidate's speed but the
 * timeout's, and a primary's 499 or error its own failure's, so one mean over every pair beside
 * the other over answered copies compared two sets of requests.
 */
export const SHADOW_AGGREGATE_COLUMNS = `model, count(*) AS pairs, sum(shadow_ok) AS shadow_ok,
  avg(exact) AS exact_rate, avg(similarity) AS mean_similarity, avg(shadow_json_valid) AS json_rate,
  avg(tools_agree) AS tools_rate,
  avg(CASE WHEN ${BOTH_ANSWERED} THEN primary_latency_ms END) AS primary_latency,
  avg(CASE WHEN ${BOTH_ANSWERED} THEN shadow_latency_ms END) AS shadow_latency,
  sum(primary_cost_usd) AS primary_cost, sum(shadow_cost_usd) AS shadow_cost`;

/**
 * The pairs the figures count: all but those the gateway cut off, which would lower the
 * candidate's success share at every stop. Their records are listed as they are. A CASE, so the
 * record's text is read only when the copy failed, whichever order the database would choose.
 */
export const AGGREGATED_PAIRS = `CASE WHEN shadow_ok = 1 THEN 1 WHEN ${CUT_BY_GATEWAY} THEN 0 ELSE 1 END = 1`;
