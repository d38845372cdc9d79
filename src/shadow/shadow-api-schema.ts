import { z } from "zod";
import { instantBounds } from "../audit/audit-query-schema.ts";
import { builtOnFirstUse } from "../core/built-on-first-use.ts";
import { decimalIntField } from "../core/decimal-int.ts";
import { tenantFilter } from "../core/tenant-filter.ts";
import type { ShadowCounts } from "../telemetry/metrics/metric-sources.ts";

/**
 * The wire shape of `GET /admin/api/shadow` (the admin UI's Shadow page and
 * `mindgw shadow report --json` read it). Times are epoch milliseconds, money USD.
 */

function buildShadowSchemas() {
  /** Query string of `GET /admin/api/shadow`. */
  const query = z.strictObject({
    /** The model the client asked for. */
    model: z.string().min(1).max(512).optional(),
    /** Only admins see every tenant; this narrows to one. */
    tenant: tenantFilter,
    /**
     * One caller's pairs, by its id (`keyId`: a key's `key_…`, a JWT caller's `jwt:<tenant>:<name>`),
     * never its name, which a key and a JWT's name claim may share. Pairs recorded before the id was
     * kept have none.
     */
    key_id: z.string().min(1).max(1024).optional(),
    ...instantBounds("when the pair was recorded"),
    /** The `nextCursor` of the previous page: the id of its last pair (storage/shadow-cursor.ts). */
    cursor: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .describe(
        "The `nextCursor` of the previous page. One that names no pair (not a page's, or its pair pruned since) is a 400 naming `cursor`.",
      ),
    limit: decimalIntField(1, 500).default(50).describe("Pairs a page, 1–500 (50 when left out)."),
  });

  /** One side of a pair: the answer the client got (primary) or the shadow's. */
  const side = z.object({
    /** `provider:<name>` or `worker:<name>`. */
    route: z.string().nullable(),
    upstreamModel: z.string().nullable(),
    /**
     * HTTP status: 200, or the failure's: the shadow upstream's own when it answered an error (its
     * 500, not the 502 a client would get), else the gateway's (504 `upstream_timeout` when the
     * shadow's own timeout cut it off).
     */
    status: z.number().int(),
    /** Error code when not 2xx (`upstream_timeout`, `upstream_error`, ...). */
    errorClass: z.string().nullable(),
    latencyMs: z.number(),
    /** Time to the first streamed event; null for non-stream calls. */
    ttftMs: z.number().nullable(),
    inputTokens: z.number().int(),
    outputTokens: z.number().int(),
    costUsd: z.number(),
    /**
     * The answer's text (an OpenAI refusal's words after `[refusal] `), redacted, and bounded by
     * `shadow.max_answer` (bytes of UTF-8, cut on a character and ended with `[cut at N bytes]`);
     * null unless `audit.bodies` is on, and with `max_answer: 0`.
     */
    answer: z.string().nullable(),
    /**
     * Why the answer ended, in OpenAI's words whatever the dialect (`stop`, `length` for Anthropic's
     * `max_tokens` or an incomplete Responses answer, `tool_calls`, `content_filter`); null when the
     * side failed or its answer did not say (and in pairs recorded before it was kept).
     */
    finish: z.string().nullable().default(null),
  });

  /** How far the two answers agree; a measure is null when it does not apply to this pair. */
  const agreement = z.object({
    /**
     * Same text byte for byte, the same tool calls, and the same finish where both said one; a
     * refusal (OpenAI's `refusal`, Anthropic's `stop_reason: "refusal"`, a `content_filter` finish)
     * matches only the same refusal, never an answer, empty or not; for embeddings, the same
     * vectors number for number (as float32 where one side came as base64).
     */
    exact: z.boolean().nullable(),
    /**
     * 0..1 similarity of the normalised texts (case, whitespace, punctuation folded; Dice over word
     * bigrams, or character bigrams for text mostly in unspaced scripts: CJK, Thai; words, or
     * characters, where a side has only one); for embeddings,
     * the mean cosine similarity of the vectors pair by pair (0 when their count or lengths differ).
     * A refusal against an answer is 0; two refusals are compared by their words (1 when neither
     * gave any). Null when both texts are empty and neither refused.
     */
    similarity: z.number().min(0).max(1).nullable(),
    /** Structured output (`response_format` json): whether each side parsed (and met the schema). */
    primaryJsonValid: z.boolean().nullable(),
    shadowJsonValid: z.boolean().nullable(),
    /** Tool calls: the same tools with the same (parsed) arguments, in order. */
    toolsAgree: z.boolean().nullable(),
    /**
     * Both ended for the same reason (`finish` of each side): false for a candidate cut off by its
     * token limit where the primary finished. Null when either did not say (and in pairs recorded
     * before it was measured).
     */
    finishAgrees: z.boolean().nullable().default(null),
  });

  const record = z.object({
    id: z.string(),
    requestId: z.string(),
    /** When the pair was recorded (the later of the two answers). */
    at: z.number(),
    tenant: z.string().nullable(),
    /**
     * The caller's id, as its audit row's `keyId`: a key's id, a JWT caller's `jwt:<tenant>:<name>`,
     * so that two callers of one name are told apart. Null in pairs recorded before it was kept.
     */
    keyId: z.string().nullable().default(null),
    keyName: z.string().nullable(),
    /** The model the client asked for. */
    model: z.string(),
    stream: z.boolean(),
    primary: side,
    shadow: side,
    agreement: agreement,
  });

  /**
   * Per model over the filtered range (all pages, not just this one). Pairs whose copy the gateway
   * itself cut off (503 `unavailable`: a stop, the shadow thread failing) are listed but not counted
   * here: they would lower the candidate's success share for nothing it did.
   */
  const aggregate = z.object({
    model: z.string(),
    pairs: z.number().int(),
    /** Pairs where the shadow answered 2xx. */
    shadowOk: z.number().int(),
    /** Rates over the pairs where the measure applied; null when it never did. */
    exactRate: z.number().nullable(),
    meanSimilarity: z.number().nullable(),
    shadowJsonValidRate: z.number().nullable(),
    toolAgreementRate: z.number().nullable(),
    /**
     * Both means over the same pairs, those where both sides answered (and were compared): a copy cut
     * off by its timeout would count the timeout, a primary's 499 or error its failure's.
     */
    primaryLatencyMsMean: z.number().nullable(),
    /** Over the same pairs as `primaryLatencyMsMean`. */
    shadowLatencyMsMean: z.number().nullable(),
    primaryCostUsd: z.number(),
    shadowCostUsd: z.number(),
  });

  /** What the shadow runner counts of its copies: the same figures as its families on `/metrics`. */
  const counts = z.object({
    /**
     * Copies not sent: `shadow.max_concurrent` were already in flight, or no worker of a
     * `provider: workers` shadow had a slot free beside the copy's.
     */
    shed: z.number().int(),
    /**
     * Copies not sent because the shadow route could not carry the request as asked (under
     * `translation.unsupported: reject`, a field its dialect has no place for): never compared.
     */
    skipped: z.number().int(),
    /** Copies sampled and not over yet. */
    inFlight: z.number().int(),
    /** Copies over, by the shadow route's provider and outcome (`ok` or the failure's code). */
    ended: z
      .array(z.object({ provider: z.string(), outcome: z.string(), count: z.number().int() }))
      .readonly(),
    /** What the copies recorded cost at the shadow routes' prices, by model (the config's name for it). */
    spent: z.array(z.object({ model: z.string(), usd: z.number() })).readonly(),
  }) satisfies z.ZodType<ShadowCounts>;

  /** Body of `GET /admin/api/shadow`. */
  const page = z.object({
    records: z.array(record),
    nextCursor: z.string().nullable(),
    aggregates: z.array(aggregate),
    /**
     * This node's copies since it started (records come from the shared store, counts from the node
     * that answers). Null for a tenant's member: the counts are every tenant's, and for a report
     * read from the database, which holds no counts.
     */
    counts: counts.nullable(),
  });

  return { query, side, agreement, record, aggregate, counts, page };
}

/**
 * Built on first use (a shadow pair read or listed, `GET /admin/api/shadow`): a gateway that is
 * never asked holds none of it (core/built-on-first-use.ts).
 */
export const shadowSchemas = builtOnFirstUse("the shadow API's schemas", buildShadowSchemas);
type ShadowSchemas = ReturnType<typeof buildShadowSchemas>;

export type ShadowQuery = z.infer<ShadowSchemas["query"]>;
export type ShadowSide = z.infer<ShadowSchemas["side"]>;
export type ShadowAgreement = z.infer<ShadowSchemas["agreement"]>;
export type ShadowRecord = z.infer<ShadowSchemas["record"]>;
export type ShadowAggregate = z.infer<ShadowSchemas["aggregate"]>;
export type ShadowPage = z.infer<ShadowSchemas["page"]>;
