import { tenantQuerySchema } from "../../core/tenant-filter.ts";
import { shadowSchemas } from "../../shadow/shadow-api-schema.ts";
import { queryParameters } from "./json-schema.ts";
import { adminErrors, json, ref } from "./openapi-responses.ts";

/** Who may read the admin API's read views (tenants/read-scope.ts): the answer depends on the caller. */
export const READ_SCOPE =
  "An admin outside every tenant: every tenant (or the one a `tenant` filter names). An admin in a tenant, or a user key of a configured tenant: that tenant only (a `tenant` filter naming another is refused, 403, naming the caller's own). Any other credential: 403.";

const side = (route: string, latencyMs: number, costUsd: number) => ({
  route,
  upstreamModel: "gpt-4o-mini",
  status: 200,
  errorClass: null,
  latencyMs,
  ttftMs: null,
  inputTokens: 14,
  outputTokens: 9,
  costUsd,
  answer: null,
});

const SHADOW_PAGE = {
  records: [
    {
      id: "shd_01",
      requestId: "req_01",
      at: 1767225600000,
      tenant: "team-a",
      keyId: "jwt:team-a:alice",
      keyName: "alice",
      model: "gpt-4o-mini",
      stream: false,
      primary: side("provider:openai", 420, 0.00002),
      shadow: side("provider:lab-vllm", 610, 0),
      agreement: {
        exact: false,
        similarity: 0.87,
        primaryJsonValid: null,
        shadowJsonValid: null,
        toolsAgree: null,
        finishAgrees: true,
      },
    },
  ],
  nextCursor: null,
  aggregates: [
    {
      model: "gpt-4o-mini",
      pairs: 1,
      shadowOk: 1,
      exactRate: 0,
      meanSimilarity: 0.87,
      shadowJsonValidRate: null,
      toolAgreementRate: null,
      primaryLatencyMsMean: 420,
      shadowLatencyMsMean: 610,
      primaryCostUsd: 0.00002,
      shadowCostUsd: 0,
    },
  ],
  counts: {
    shed: 0,
    skipped: 0,
    inFlight: 1,
    ended: [{ provider: "candidate", outcome: "ok", count: 41 }],
    spent: [{ model: "gpt-4o-mini", usd: 0.0123 }],
  },
};

/** The read views of the admin API that a tenant's members may also read: tenants and shadow pairs. */
export function adminReadPaths() {
  const tag = { tags: ["Admin"] };
  return {
    "/admin/api/tenants": {
      get: {
        ...tag,
        operationId: "list_tenants",
        summary: "Each tenant's limits, keys, and usage and spend this budget period",
        parameters: queryParameters(tenantQuerySchema),
        description: `\`usage.requests\` and the tokens count the audit rows still kept (\`audit.retention\` may have deleted the period's older ones); \`usage.costUsd\` and \`remainingUsd\` are the spend ledger's, which the budget is enforced against (under an embedder's own policy, which keeps no ledger, the audit rows' cost). ${READ_SCOPE}`,
        responses: {
          "200": json(
            "The tenants",
            { type: "object" },
            {
              tenants: [
                {
                  name: "team-a",
                  models: ["gpt-*"],
                  rpm: 600,
                  tpm: 2000000,
                  budget: { usd: 500, per: "month" },
                  keys: 3,
                  period: { from: 1767225600000, to: 1769904000000 },
                  usage: { requests: 1204, inputTokens: 391022, outputTokens: 88120, costUsd: 12.4 },
                  remainingUsd: 487.6,
                },
              ],
            },
          ),
          ...adminErrors,
        },
      },
    },
    "/admin/api/shadow": {
      get: {
        ...tag,
        operationId: "list_shadow_pairs",
        summary: "Shadow pairs, newest first a page at a time, with per-model aggregates and copy counts",
        description: `The aggregates cover the whole filtered range, not only this page. \`counts\` are the answering node's shadow copies since it started (shed, skipped, in flight, over by provider and outcome), for admins only: null for a tenant's member. ${READ_SCOPE}`,
        parameters: queryParameters(shadowSchemas().query),
        responses: { "200": json("A page of shadow pairs", ref("ShadowPage"), SHADOW_PAGE), ...adminErrors },
      },
    },
  };
}
