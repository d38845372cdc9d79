import { z } from "zod";
import { actionsQuery, spendQuery, statsQuery, tenantActionsQuery } from "../admin/admin-insight-routes.ts";
import { queryParameters } from "./json-schema.ts";
import { adminErrors, answered, json } from "./openapi-responses.ts";

/** `before` as either reader gives it: an action's id, a number or, to an admin in a tenant, sealed text. */
const documentedActionsQuery = actionsQuery.extend({
  before: z
    .union([actionsQuery.shape.before.unwrap(), tenantActionsQuery.shape.before.unwrap()])
    .optional()
    .describe(
      "The previous page's `nextBefore`, or any action's `id` as read: in decimal digits; to an admin in a tenant, the sealed text it was given",
    ),
});

/** What the web UI's pages read (admin/admin-insight-routes.ts). Admin role only. */
export function adminInsightPaths() {
  const tag = { tags: ["Admin"] };
  return {
    "/admin/api/stats": {
      get: {
        ...tag,
        operationId: "get_stats",
        summary: "Request figures in time buckets over a rolling window (this node, since start)",
        parameters: queryParameters(statsQuery),
        responses: {
          "200": json(
            "One series per figure; index i of each is the bucket starting at `t[i]` (epoch seconds)",
            { type: "object" },
            {
              window: "1h",
              stepMs: 10000,
              t: [1767225600, 1767225610],
              requests: [12, 9],
              errorShare: [0, null],
              latencyP50: [420, 388],
              latencyP95: [1210, 990],
              ttftP50: [180, 171],
              ttftP95: [530, 402],
              tokens: [5120, 3900],
              costUsd: [0.012, 0.009],
            },
          ),
          ...adminErrors,
        },
      },
    },
    "/admin/api/routing": {
      get: {
        ...tag,
        operationId: "get_routing",
        summary: "The resolved routing table with each route's live health; provider secrets redacted",
        responses: {
          "200": answered(
            "Config version, models and their routes, providers, prices, worker-served models",
            "Routing",
          ),
          ...adminErrors,
        },
      },
    },
    "/admin/api/actions": {
      get: {
        ...tag,
        operationId: "list_actions",
        summary: "Admin actions (key changes, web UI sign-ins), newest first a page at a time",
        parameters: queryParameters(documentedActionsQuery),
        responses: {
          "200": json(
            "A page of actions; `nextBefore` asks for the next one. To an admin in a tenant each `id` and `nextBefore` is sealed text, a new one each read, as they count every tenant's actions",
            { type: "object" },
            {
              actions: [
                {
                  id: 42,
                  at: 1767225600000,
                  actor: "ops-admin",
                  actorKeyId: "key_01",
                  via: "key",
                  action: "key.revoke",
                  target: "key_07",
                  detail: "alice (user, tenant team-a, models gpt-*)",
                  clientIp: "10.0.0.12",
                  requestId: "req_01",
                },
              ],
              nextBefore: null,
            },
          ),
          ...adminErrors,
        },
      },
    },
    "/admin/api/spend": {
      get: {
        ...tag,
        operationId: "get_spend",
        summary: "USD spent per key, for the ids in `ids` (repeated, one id each)",
        description:
          "A key's is its rotation chain's one total, the spend its budget reads (a rotation's old key and its new one report the same); a JWT subject's (`jwt:TENANT:SUBJECT`, a `:` or `%` of TENANT written `%3A` or `%25`) its own. Send each id as its own `ids`, URL-encoded, as any query value: tenant `org:123`'s `bob` is `ids=jwt:org%253A123:bob`, where `ids=jwt:org%3A123:bob` reads `jwt:org:123:bob`, tenant `org`'s `123:bob`; a subject's name may hold a comma (`ids=jwt:acme:Doe%2C%20John`). The earlier comma-separated form is still read where no id can hold the comma: the key ids a value starts with (`ids=key_a,key_b`) are split off; from the first part that is no key id, the rest is one id. As stored: the running totals are written about once a second.",
        parameters: queryParameters(spendQuery),
        responses: {
          "200": json("Spend by key id", { type: "object" }, { spentUsd: { key_01: 1.25, key_07: 0 } }),
          ...adminErrors,
        },
      },
    },
  };
}
