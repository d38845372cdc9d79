import { auditExportQuerySchema, auditQuerySchema } from "../../audit/audit-query-schema.ts";
import { tenantQuerySchema } from "../../core/tenant-filter.ts";
import { keyTenantQuerySchema } from "../admin/admin-key-routes.ts";
import { keyListQuerySchema } from "../admin/key-page.ts";
import { READ_SCOPE } from "./admin-read-paths.ts";
import { queryParameters } from "./json-schema.ts";
import { adminErrors, answered, errorResponses, ref, requestId } from "./openapi-responses.ts";

/** The admin API (`/admin/api/...`): keys, audit, live events, status, workers. */
export function adminPaths() {
  const tag = { tags: ["Admin"] };
  const idParam = {
    name: "id",
    in: "path",
    required: true,
    description: "The key's id, or its name",
    schema: { type: "string" },
  };
  /**
   * `?tenant=` on a key found by name: on a show (`read`) empty is absent, on a change (`manage`:
   * revoke, rotate, limits) it is refused, so an unset variable changes no tenant's key.
   */
  const tenantParam = (reach: "read" | "manage", description: string) => {
    const [tenant] = queryParameters(keyTenantQuerySchema);
    const schema = tenant?.schema as object;
    return reach === "read"
      ? { ...tenant, description, schema }
      : {
          ...tenant,
          description: `${description}; empty is refused (400), never read as absent`,
          schema: { ...schema, minLength: 1 },
        };
  };
  const byNameTenant =
    "By name, that tenant's key of it: an admin outside every tenant whose name's active keys are in several tenants names the one meant (without it, 409)";
  const keyErrors = {
    ...adminErrors,
    "404": {
      ...errorResponses("openai", [404])["404"],
      // By name a tenant's admin finds only its tenant's keys; by id another tenant's is a 403.
      description: "No key of that id, or none of that name among the keys the caller manages",
    },
    "409": {
      ...errorResponses("openai", [409])["409"],
      description:
        "The key was revoked or rotated while this was under way (nothing was done), or by name that name's active keys are in several tenants (and no `tenant` said which): nothing was done",
    },
    "503": {
      ...errorResponses("openai", [503])["503"],
      description: "The key store could not answer, or the gateway is draining or at capacity; try again",
    },
  };
  // The admin API reads a body up to its own bound (admin-key-routes.ts), not `server.max_body`.
  const tooLarge = {
    "413": { ...errorResponses("openai", [413])["413"], description: "Body larger than 64 KiB" },
  };
  return {
    "/admin/api/keys": {
      get: {
        ...tag,
        operationId: "list_keys",
        summary: "List keys (never their secrets), newest first; one page with `limit`, else all",
        parameters: queryParameters(keyListQuerySchema),
        responses: {
          "200": answered(
            "The keys and `nextCursor` (null on the last page). Keys with the same `chain` (the id of the first key of their rotation chain) share one spend and one budget: what any of them spends is counted under the chain's first key, and each reports that total (`/admin/api/spend`)",
            "KeyPage",
          ),
          ...adminErrors,
        },
      },
      post: {
        ...tag,
        operationId: "create_key",
        summary: "Create a key; the plain key is in this answer only",
        requestBody: {
          required: true,
          content: {
            "application/json": {
              schema: ref("CreateKeyInput"),
              example: { name: "alice", role: "user", models: ["gpt-*"], rpm: 60 },
            },
          },
        },
        responses: {
          "201": answered("The new key, with `key` shown once", "CreatedKey"),
          ...adminErrors,
          ...tooLarge,
        },
      },
    },
    "/admin/api/keys/{id}": {
      get: {
        ...tag,
        operationId: "get_key",
        summary: "Show a key",
        description:
          "By id, that key; by name, the newest active key of it (none active: the newest of any status).",
        parameters: [idParam, tenantParam("read", byNameTenant)],
        responses: { "200": answered("The key", "KeyView"), ...keyErrors },
      },
    },
    "/admin/api/keys/{id}/revoke": {
      post: {
        ...tag,
        operationId: "revoke_key",
        summary: "Revoke a key, or every active key of a name",
        description:
          "By id, that key (again: the same answer). By name, every active key of it among those the caller manages: during a rotation's grace window the old key and its successor share the name, and both are revoked. The answer is the newest key revoked, with `revoked`: every key revoked, newest first. Active keys of the name in several tenants (only an admin outside every tenant sees that) are refused, 409, nothing revoked: revoke each by id, or the name in one tenant (`tenant`).",
        parameters: [
          idParam,
          tenantParam(
            "manage",
            'By name, only the active keys of it in this tenant (the web UI\'s "Revoke all N")',
          ),
        ],
        requestBody: {
          required: false,
          description: "None, or `{}`: a field here is refused (400 naming it); the tenant is `?tenant=`",
          content: { "application/json": { schema: { type: "object", additionalProperties: false } } },
        },
        responses: {
          "200": answered("The revoked key, and every key this revoked", "RevokedKey"),
          ...keyErrors,
          ...tooLarge,
        },
      },
    },
    "/admin/api/keys/{id}/rotate": {
      post: {
        ...tag,
        operationId: "rotate_key",
        summary: "Rotate a key; the old one works for `grace` more",
        description:
          "By name, the newest active key of it. The new key has the old one's settings as they are when the old key's end is set: a limits change made to the old key while it rotates is the new key's too. A revoke of the old key meanwhile: 409, the new key revoked with it, nothing rotated.",
        parameters: [idParam, tenantParam("manage", byNameTenant)],
        requestBody: {
          required: false,
          content: { "application/json": { schema: ref("RotateKeyInput"), example: { grace: "10m" } } },
        },
        responses: {
          "201": answered("The new key, and the one it replaces", "RotatedKey"),
          ...keyErrors,
          ...tooLarge,
        },
      },
    },
    "/admin/api/keys/{id}/limits": {
      post: {
        ...tag,
        operationId: "set_key_limits",
        summary:
          "Change an active key's models, rpm, tpm, budget or expiry; what is left out stays, null lifts a limit",
        description:
          "Within the caller's own reach, before and after (no admin gives more than it has). Only what is given changes: another admin's change to other limits made meanwhile is kept. The key's spend is kept: a spent budget raised lets it through at once, on every node. By name, the newest active key of it.",
        parameters: [idParam, tenantParam("manage", byNameTenant)],
        requestBody: {
          required: true,
          content: { "application/json": { schema: ref("KeyLimitsInput"), example: { budget_usd: 50 } } },
        },
        responses: { "200": answered("The key with its new limits", "KeyView"), ...keyErrors, ...tooLarge },
      },
    },
    "/admin/api/audit": {
      get: {
        ...tag,
        operationId: "query_audit",
        summary: "Query the audit log, newest first, a page at a time",
        description: READ_SCOPE,
        parameters: queryParameters(auditQuerySchema),
        responses: {
          "200": answered("A page of audit records and `nextCursor`", "AuditPage"),
          ...adminErrors,
        },
      },
    },
    "/admin/api/audit/export": {
      get: {
        ...tag,
        operationId: "export_audit",
        summary: "Export the audit log (NDJSON or CSV), streamed",
        description: READ_SCOPE,
        parameters: queryParameters(auditExportQuerySchema),
        responses: {
          "200": {
            description: "The records",
            headers: requestId,
            content: {
              "application/x-ndjson": { schema: { type: "string" } },
              "text/csv": { schema: { type: "string" } },
            },
          },
          ...adminErrors,
        },
      },
    },
    "/admin/api/events": {
      get: {
        ...tag,
        operationId: "stream_events",
        summary: "Live events (what `mindgw tail` reads)",
        parameters: queryParameters(tenantQuerySchema),
        description:
          "Admin role: every tenant's requests, workers and config changes (`config.reloaded`, `config.restart_required`, `config.rejected`, and `config.restored` when an edit undoes a rejected or restart-only one); an admin in a tenant, its tenant's requests and the workers its callers may be routed to. A user key of a configured tenant: that tenant's requests only. Any other credential: 403. `tenant`: that tenant's part alone, as an admin in it reads it (its requests and the workers its callers may be routed to, no config changes); a reader held to one tenant naming another is refused, 403. A finished request's record never carries its bodies: with `audit.bodies` on they are in its audit row alone, redacted (`/admin/api/audit?bodies=true`).",
        responses: {
          "200": {
            description: "Server-sent events",
            headers: requestId,
            content: { "text/event-stream": { schema: { type: "string" } } },
          },
          ...adminErrors,
        },
      },
    },
    "/admin/api/status": {
      get: {
        ...tag,
        operationId: "get_status",
        summary: "Config version, reload errors, audit health, workers",
        responses: { "200": answered("Status", "Status"), ...adminErrors },
      },
    },
    "/admin/api/workers": {
      get: {
        ...tag,
        operationId: "list_workers",
        summary: "Connected workers and their load",
        parameters: queryParameters(tenantQuerySchema),
        description:
          "Admin role: every connected worker; an admin in a tenant, its tenant's and the platform's. `tenant`: the workers that tenant's callers may be routed to (its own and the platform's), as an admin in it reads them; a reader held to one tenant naming another is refused, 403.",
        responses: { "200": answered("Workers", "WorkerList"), ...adminErrors },
      },
    },
  };
}
