import type { ShadowRecord, ShadowSide } from "../shadow/shadow-api-schema.ts";

/** One side of a test pair: an answer from `provider:p`, or a timeout when `status` is not 200. */
const side = (status: number, latencyMs: number, costUsd: number): ShadowSide => ({
  route: "provider:p",
  upstreamModel: "m",
  status,
  errorClass: status === 200 ? null : "upstream_timeout",
  latencyMs,
  ttftMs: null,
  inputTokens: 3,
  outputTokens: 5,
  costUsd,
  answer: null,
  finish: status === 200 ? "stop" : null,
});

/**
 * The i-th of the store tests' shadow pairs (`pair_i`, at i seconds): tenant acme but the 4th,
 * model `a` but the 3rd (`b`), caller `key_ci` but the 2nd (the JWT subject `jwt:acme:ci`, of the
 * same name), whose shadow timed out; changed by `over`.
 */
export const shadowPair = (i: number, over: Partial<ShadowRecord> = {}): ShadowRecord => ({
  id: `pair_${i}`,
  requestId: `req_${i}`,
  at: 1000 * i,
  tenant: i === 4 ? "other" : "acme",
  keyId: i === 2 ? "jwt:acme:ci" : "key_ci",
  keyName: "ci",
  model: i === 3 ? "b" : "a",
  stream: false,
  primary: side(200, 10 * i, 0.5),
  shadow: side(i === 2 ? 504 : 200, 20 * i, 0.25),
  agreement: {
    exact: i === 1,
    similarity: i / 4,
    primaryJsonValid: null,
    shadowJsonValid: null,
    toolsAgree: null,
    finishAgrees: i === 2 ? null : true,
  },
  ...over,
});

/**
 * A pair as shadow migration 1's table kept it, with no `key_id` column (its caller in the record's
 * JSON alone): the statement and its parameters, valid in SQLite and PostgreSQL alike.
 */
export const versionOnePairInsert = (pair: ShadowRecord): [string, (string | number | null)[]] => [
  `INSERT INTO shadow_pairs (id, at, model, tenant, shadow_ok, primary_latency_ms, shadow_latency_ms,
     primary_cost_usd, shadow_cost_usd, record) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
  [
    pair.id,
    pair.at,
    pair.model,
    pair.tenant,
    pair.shadow.status === 200 ? 1 : 0,
    pair.primary.latencyMs,
    pair.shadow.latencyMs,
    pair.primary.costUsd,
    pair.shadow.costUsd,
    JSON.stringify(pair),
  ],
];
