/**
 * The operations the product contract promises (SPEC.md, "HTTP surface") and the admin web UI
 * reads, as `METHOD /path` in OpenAPI's spelling. The document's tests hold it to these, in
 * process (openapi-document.test.ts) and from the binary (test/e2e/observability-docs.test.ts),
 * beside the routes they derive from the server itself.
 */
export const PROMISED_OPERATIONS: readonly string[] = [
  "POST /v1/chat/completions",
  "POST /v1/completions",
  "POST /v1/embeddings",
  "GET /v1/models",
  "GET /v1/models/{id}",
  "POST /v1/responses",
  "GET /v1/responses/{id}",
  "DELETE /v1/responses/{id}",
  "GET /v1/responses/{id}/input_items",
  "POST /v1/responses/compact",
  "POST /v1/messages",
  "GET /healthz",
  "GET /readyz",
  "GET /metrics",
  "GET /admin/api/keys",
  "POST /admin/api/keys",
  "GET /admin/api/keys/{id}",
  "POST /admin/api/keys/{id}/revoke",
  "POST /admin/api/keys/{id}/rotate",
  "GET /admin/api/tenants",
  "GET /admin/api/audit",
  "GET /admin/api/audit/export",
  "GET /admin/api/workers",
  "GET /admin/api/status",
  "GET /admin/api/shadow",
  "GET /admin/api/events",
  "GET /admin/api/stats",
  "GET /admin/api/routing",
  "GET /admin/api/actions",
  "GET /admin/api/spend",
  "GET /workers/connect",
];
