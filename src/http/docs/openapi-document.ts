import { z } from "zod";
import { auditQuerySchema } from "../../audit/audit-query-schema.ts";
import { createKeyInputSchema, rotateKeyInputSchema } from "../../auth/key-admin-schemas.ts";
import type { Dialect, Operation } from "../../core/dialect.ts";
import { GatewayFrame, WorkerFrame } from "../../workers/protocol.ts";
import { REQUEST_SCHEMAS } from "../request-schemas.ts";
import { type JsonSchema, jsonSchemaOf, queryParameters } from "./json-schema.ts";

const openAIError = z
  .object({
    error: z.object({
      message: z.string(),
      type: z.string(),
      param: z.string().nullable(),
      code: z.string().nullable(),
    }),
  })
  .meta({
    examples: [
      {
        error: {
          message: "The model `gpt-5-nano` does not exist or you do not have access to it.",
          type: "invalid_request_error",
          param: null,
          code: "model_not_found",
        },
      },
    ],
  });

const anthropicError = z
  .object({ type: z.literal("error"), error: z.object({ type: z.string(), message: z.string() }) })
  .meta({
    examples: [{ type: "error", error: { type: "authentication_error", message: "invalid x-api-key" } }],
  });

/** Each client route: its operation, the schema's name, and a summary. */
const MODEL_ROUTES: readonly { path: string; operation: Operation; name: string; summary: string }[] = [
  {
    path: "/v1/chat/completions",
    operation: "chat",
    name: "ChatCompletionRequest",
    summary: "Chat completion",
  },
  {
    path: "/v1/completions",
    operation: "completions",
    name: "CompletionRequest",
    summary: "Text completion",
  },
  { path: "/v1/embeddings", operation: "embeddings", name: "EmbeddingsRequest", summary: "Embeddings" },
  { path: "/v1/responses", operation: "responses", name: "ResponsesRequest", summary: "Responses API" },
  { path: "/v1/messages", operation: "messages", name: "MessagesRequest", summary: "Anthropic Messages" },
  {
    path: "/v1/messages/count_tokens",
    operation: "count_tokens",
    name: "CountTokensRequest",
    summary: "Count tokens",
  },
];

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

const ERRORS: Record<number, string> = {
  400: "Malformed or invalid request",
  401: "Missing or invalid credential",
  403: "The credential may not use this model or API",
  404: "No such model or route",
  413: "Body larger than `server.max_body`",
  429: "A rate limit or budget was reached (`Retry-After` says when to retry)",
  502: "The upstream failed",
  503: "Draining, or no route available",
  504: "The upstream timed out",
};

/** Error answers in the caller's dialect. */
function errorResponses(dialect: Dialect, statuses: readonly number[]) {
  const schema = ref(dialect === "anthropic" ? "AnthropicError" : "OpenAIError");
  return Object.fromEntries(
    statuses.map((status) => [
      String(status),
      { description: ERRORS[status] ?? "Error", content: { "application/json": { schema } } },
    ]),
  );
}

const requestId = {
  "x-request-id": {
    description: "The request's id (also in the audit log and the access log)",
    schema: { type: "string" },
  },
};

function modelOperation(route: (typeof MODEL_ROUTES)[number]) {
  const dialect: Dialect =
    route.operation === "messages" || route.operation === "count_tokens" ? "anthropic" : "openai";
  const examples = (jsonSchemaOf(REQUEST_SCHEMAS[route.operation]).examples as unknown[] | undefined) ?? [];
  return {
    post: {
      tags: [dialect === "anthropic" ? "Anthropic" : "OpenAI"],
      summary: route.summary,
      operationId: route.operation,
      description:
        "Routed to the model's upstreams; the answer is the upstream's, in this route's dialect (translated when the upstream speaks the other one). Only the fields shown are checked by the gateway; every other field is passed on.",
      parameters: [
        {
          name: "traceparent",
          in: "header",
          required: false,
          description: "W3C trace context; continued by the gateway's spans and passed upstream",
          schema: { type: "string" },
        },
      ],
      requestBody: {
        required: true,
        content: {
          "application/json": { schema: ref(route.name), ...(examples[0] ? { example: examples[0] } : {}) },
        },
      },
      responses: {
        "200": {
          description: "The answer: JSON, or server-sent events when `stream` is true",
          headers: requestId,
          content: {
            "application/json": { schema: { type: "object" } },
            "text/event-stream": { schema: { type: "string" } },
          },
        },
        ...errorResponses(dialect, [400, 401, 403, 404, 413, 429, 502, 503, 504]),
      },
    },
  };
}

const adminErrors = errorResponses("openai", [400, 401, 403]);

const json = (description: string, schema: JsonSchema = { type: "object" }) => ({
  description,
  headers: requestId,
  content: { "application/json": { schema } },
});

function adminPaths() {
  const tag = { tags: ["Admin"] };
  const idParam = { name: "id", in: "path", required: true, schema: { type: "string" } };
  return {
    "/admin/api/keys": {
      get: {
        ...tag,
        summary: "List keys (never their secrets)",
        parameters: [
          { name: "tenant", in: "query", schema: { type: "string" } },
          { name: "include_revoked", in: "query", schema: { type: "boolean" } },
        ],
        responses: { "200": json("The keys"), ...adminErrors },
      },
      post: {
        ...tag,
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
        responses: { "201": json("The new key, with `key` shown once"), ...adminErrors },
      },
    },
    "/admin/api/keys/{id}": {
      get: {
        ...tag,
        summary: "Show a key",
        parameters: [idParam],
        responses: { "200": json("The key"), ...adminErrors },
      },
    },
    "/admin/api/keys/{id}/revoke": {
      post: {
        ...tag,
        summary: "Revoke a key",
        parameters: [idParam],
        responses: { "200": json("The revoked key"), ...adminErrors },
      },
    },
    "/admin/api/keys/{id}/rotate": {
      post: {
        ...tag,
        summary: "Rotate a key; the old one works for `grace` more",
        parameters: [idParam],
        requestBody: {
          required: false,
          content: { "application/json": { schema: ref("RotateKeyInput"), example: { grace: "10m" } } },
        },
        responses: { "201": json("The new key"), ...adminErrors },
      },
    },
    "/admin/api/audit": {
      get: {
        ...tag,
        summary: "Query the audit log, newest first, a page at a time",
        parameters: queryParameters(auditQuerySchema),
        responses: { "200": json("A page of audit records and `nextCursor`"), ...adminErrors },
      },
    },
    "/admin/api/audit/export": {
      get: {
        ...tag,
        summary: "Export the audit log (NDJSON or CSV), streamed",
        parameters: [
          { name: "format", in: "query", schema: { type: "string", enum: ["ndjson", "csv"] } },
          ...queryParameters(auditQuerySchema).filter((p) => p.name !== "cursor" && p.name !== "limit"),
        ],
        responses: {
          "200": {
            description: "The records",
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
        summary: "Live events (what `mindgw tail` reads)",
        responses: {
          "200": {
            description: "Server-sent events",
            content: { "text/event-stream": { schema: { type: "string" } } },
          },
          ...adminErrors,
        },
      },
    },
    "/admin/api/status": {
      get: {
        ...tag,
        summary: "Config version, reload errors, audit health, workers",
        responses: { "200": json("Status"), ...adminErrors },
      },
    },
    "/admin/api/workers": {
      get: {
        ...tag,
        summary: "Connected workers and their load",
        responses: { "200": json("Workers"), ...adminErrors },
      },
    },
  };
}

function operatorPaths() {
  const tag = { tags: ["Operations"] };
  return {
    "/healthz": { get: { ...tag, summary: "Liveness", security: [], responses: { "200": json("Alive") } } },
    "/readyz": {
      get: {
        ...tag,
        summary: "Readiness (503 while draining or while audit storage is down)",
        security: [],
        responses: { "200": json("Ready"), "503": json("Not ready") },
      },
    },
    "/metrics": {
      get: {
        ...tag,
        summary: "Prometheus metrics (admin role; or `metrics.listen` without a key)",
        responses: {
          "200": {
            description: "Text exposition format",
            content: { "text/plain": { schema: { type: "string" } } },
          },
          ...adminErrors,
        },
      },
    },
    "/v1/models": {
      get: {
        tags: ["OpenAI"],
        summary: "The models this key may use",
        responses: { "200": json("A list of models"), ...errorResponses("openai", [401, 403]) },
      },
    },
    "/v1/responses/{id}": {
      get: {
        tags: ["OpenAI"],
        summary: "A stored Responses API answer",
        parameters: [{ name: "id", in: "path", required: true, schema: { type: "string" } }],
        responses: { "200": json("The response"), ...errorResponses("openai", [401, 404]) },
      },
    },
    "/workers/connect": {
      get: {
        tags: ["Workers"],
        summary: "WebSocket upgrade for `mindgw worker` (worker role)",
        description:
          "Frames are JSON text messages (docs/worker-protocol.md): the gateway sends `GatewayFrame`s, the worker `WorkerFrame`s. Both are in `components.schemas`.",
        parameters: [
          { name: "Upgrade", in: "header", required: true, schema: { type: "string", const: "websocket" } },
        ],
        responses: { "101": { description: "Switching protocols" }, ...adminErrors },
      },
    },
  };
}

/**
 * The OpenAPI 3.1 document of the gateway's HTTP surface, built from the zod schemas that
 * validate the requests (client bodies, key administration, audit queries, worker frames).
 */
export function openApiDocument(version: string): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  for (const route of MODEL_ROUTES) paths[route.path] = modelOperation(route);
  Object.assign(paths, operatorPaths(), adminPaths());
  const schemas: Record<string, JsonSchema> = {
    OpenAIError: jsonSchemaOf(openAIError),
    AnthropicError: jsonSchemaOf(anthropicError),
    CreateKeyInput: jsonSchemaOf(createKeyInputSchema),
    RotateKeyInput: jsonSchemaOf(rotateKeyInputSchema),
    GatewayFrame: jsonSchemaOf(GatewayFrame),
    WorkerFrame: jsonSchemaOf(WorkerFrame),
  };
  for (const route of MODEL_ROUTES) schemas[route.name] = jsonSchemaOf(REQUEST_SCHEMAS[route.operation]);
  return {
    openapi: "3.1.0",
    info: {
      title: "mindgw",
      version,
      description:
        "Enterprise LLM inference gateway: OpenAI and Anthropic dialects, outbound GPU workers. Every answer carries `x-request-id`.",
    },
    servers: [{ url: "/" }],
    security: [{ bearer: [] }, { apiKey: [] }],
    tags: [
      { name: "OpenAI", description: "OpenAI-compatible client API" },
      { name: "Anthropic", description: "Anthropic-compatible client API" },
      { name: "Admin", description: "Administration (admin role)" },
      { name: "Operations", description: "Probes and metrics" },
      { name: "Workers", description: "The worker tunnel" },
    ],
    paths,
    components: {
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer", description: "A mindgw key (`mgw_…`) or a JWT" },
        apiKey: {
          type: "apiKey",
          in: "header",
          name: "x-api-key",
          description: "A mindgw key, as Anthropic's SDK sends it",
        },
      },
      schemas,
    },
  };
}
