import { z } from "zod";
import { createKeyInputSchema, rotateKeyInputSchema } from "../../auth/key-admin-schemas.ts";
import type { Dialect, Operation } from "../../core/dialect.ts";
import { shadowPageSchema } from "../../shadow/shadow-api-schema.ts";
import { GatewayFrame, WorkerFrame } from "../../workers/protocol.ts";
import { REQUEST_SCHEMAS } from "../request-schemas.ts";
import { adminInsightPaths } from "./admin-insight-paths.ts";
import { adminPaths } from "./admin-paths.ts";
import { adminReadPaths } from "./admin-read-paths.ts";
import { type JsonSchema, jsonSchemaOf } from "./json-schema.ts";
import { modelPaths } from "./model-paths.ts";
import { errorResponses, ref, requestId } from "./openapi-responses.ts";
import { operatorPaths } from "./operator-paths.ts";
import { responsesPaths, responsesWebSocketOperation } from "./responses-paths.ts";

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
        {
          name: "tracestate",
          in: "header",
          required: false,
          description:
            "W3C vendor trace state, read only beside a well-formed traceparent; the spans' trace state, passed upstream with the traceparent (a malformed one is ignored)",
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

/**
 * The OpenAPI 3.1 document of the gateway's HTTP surface, built from the zod schemas that
 * validate the requests (client bodies, key administration, audit and shadow queries, worker
 * frames), and from the answers' schemas where one exists (shadow pairs).
 */
export function openApiDocument(version: string): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  for (const route of MODEL_ROUTES) paths[route.path] = modelOperation(route);
  Object.assign(
    paths,
    responsesPaths(),
    operatorPaths(),
    modelPaths(),
    adminPaths(),
    adminReadPaths(),
    adminInsightPaths(),
  );
  paths["/v1/responses"] = { ...(paths["/v1/responses"] as object), get: responsesWebSocketOperation() };
  const schemas: Record<string, JsonSchema> = {
    OpenAIError: jsonSchemaOf(openAIError),
    AnthropicError: jsonSchemaOf(anthropicError),
    CreateKeyInput: jsonSchemaOf(createKeyInputSchema),
    RotateKeyInput: jsonSchemaOf(rotateKeyInputSchema),
    GatewayFrame: jsonSchemaOf(GatewayFrame),
    WorkerFrame: jsonSchemaOf(WorkerFrame),
    ShadowPage: jsonSchemaOf(shadowPageSchema),
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
