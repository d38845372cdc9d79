import { z } from "zod";
import { keyInputSchemas } from "../../auth/key-admin-schemas.ts";
import type { Operation } from "../../core/dialect.ts";
import { openAIErrorBody } from "../../core/openai-errors.ts";
import { shadowSchemas } from "../../shadow/shadow-api-schema.ts";
import { GatewayFrame, WorkerFrame } from "../../workers/protocol.ts";
import { CSRF_HEADER, SESSION_COOKIE } from "../admin-ui/session-cookie.ts";
import { REQUEST_SCHEMAS } from "../request-schemas.ts";
import { adminInsightPaths } from "./admin-insight-paths.ts";
import { adminPaths } from "./admin-paths.ts";
import { adminReadPaths } from "./admin-read-paths.ts";
import { ANSWERS } from "./answer-schemas.ts";
import { clientPaths, MODEL_OPERATIONS, serves } from "./client-paths.ts";
import { type JsonSchema, jsonSchemaOf } from "./json-schema.ts";
import { operatorPaths } from "./operator-paths.ts";
import { COMPACT_REQUEST, compactRequestSchema } from "./responses-paths.ts";
import type { DocumentedFront, ServedSurface } from "./served-surface.ts";

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
  .object({
    type: z.literal("error"),
    error: z.object({ type: z.string(), message: z.string() }),
    // The gateway's own errors, and an upstream's rewritten to hide its account (any that names
    // its own request_id is), carry the gateway's request id (its `request-id` header's); an
    // upstream's relayed as sent names none. Anthropic's SDK types it a string or null.
    request_id: z.string().nullable().optional(),
  })
  .meta({
    examples: [
      {
        type: "error",
        error: { type: "authentication_error", message: "invalid x-api-key" },
        request_id: "req_0193a5c2e4f07d3e9b1a6c8d2f4e5a7b",
      },
    ],
  });

/**
 * The OpenAPI 3.1 document of the gateway's HTTP surface as `surface` mounts it (the client
 * routes at the root or under each app, the route groups the config switches on), built from the
 * zod schemas that validate the requests (client bodies, key administration, audit and shadow
 * queries, worker frames), and from the answers' schemas where one exists (shadow pairs).
 */
export function openApiDocument(version: string, surface: ServedSurface): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  for (const front of surface.fronts) Object.assign(paths, clientPaths(front));
  Object.assign(
    paths,
    operatorPaths(surface),
    withSession({ ...adminPaths(), ...adminReadPaths(), ...adminInsightPaths() }),
  );
  // Key administration's own set (built on first use, for either).
  const keyInputs = keyInputSchemas();
  const schemas: Record<string, JsonSchema> = {
    OpenAIError: jsonSchemaOf(openAIError),
    OpenAIUpstreamError: jsonSchemaOf(openAIErrorBody),
    AnthropicError: jsonSchemaOf(anthropicError),
    CreateKeyInput: jsonSchemaOf(keyInputs.create),
    RotateKeyInput: jsonSchemaOf(keyInputs.rotate),
    KeyLimitsInput: jsonSchemaOf(keyInputs.limits),
    ...(surface.workers
      ? { GatewayFrame: jsonSchemaOf(GatewayFrame), WorkerFrame: jsonSchemaOf(WorkerFrame) }
      : {}),
    ShadowPage: jsonSchemaOf(shadowSchemas().page),
    ...Object.fromEntries(Object.entries(ANSWERS).map(([name, { schema }]) => [name, schema])),
  };
  for (const [operation, { name }] of Object.entries(MODEL_OPERATIONS) as [Operation, { name: string }][])
    if (surface.fronts.some((front) => serves(front, operation)))
      schemas[name] = jsonSchemaOf(REQUEST_SCHEMAS[operation]);
  const responsesRequest = schemas[MODEL_OPERATIONS.responses.name];
  if (responsesRequest) schemas[COMPACT_REQUEST] = compactRequestSchema(responsesRequest);
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
      ...surface.fronts.flatMap(frontTags),
      { name: "Admin", description: "Administration (admin role)" },
      { name: "Operations", description: surface.metrics ? "Probes and metrics" : "Probes" },
      ...(surface.workers ? [{ name: "Workers", description: "The worker tunnel" }] : []),
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
        adminSession: {
          type: "apiKey",
          in: "cookie",
          name: SESSION_COOKIE,
          description:
            "The admin web UI's session (`POST /admin/auth/login` sets it, scoped to `/admin`): the admin API only, with `csrfToken`. It ends after `admin_ui.session_idle_timeout` without use: a call sending `x-user-activity: 1` is use (the page sends it after a keystroke or click, never on its own polling); its 401 says `x-session-ended: idle`",
        },
        csrfToken: {
          type: "apiKey",
          in: "header",
          name: CSRF_HEADER,
          description:
            "The session's CSRF token (`/admin/auth/session` gives it), sent beside `adminSession`",
        },
      },
      schemas,
    },
  };
}

/**
 * The admin API's operations, which take the web UI's session beside a key: its cookie with its
 * CSRF token, both or neither (admin-ui/session-auth.ts `withSessions`). The cookie is scoped to
 * `/admin`, so no other route is sent it.
 */
function withSession(paths: Record<string, Record<string, object>>): Record<string, unknown> {
  const security = [{ bearer: [] }, { apiKey: [] }, { adminSession: [], csrfToken: [] }];
  return Object.fromEntries(
    Object.entries(paths).map(([path, methods]) => [
      path,
      Object.fromEntries(
        Object.entries(methods).map(([method, operation]) => [method, { ...operation, security }]),
      ),
    ]),
  );
}

/** An app's allow-list as its tag tells it, those entries that may name a tenant's own models left unnamed. */
function onlyModels(named: readonly string[], unnamed: boolean): string {
  if (named.length === 0) return unnamed ? "only tenant models, not named here" : "no models";
  const list = named.map((model) => `\`${model}\``).join(", ");
  return `only the models ${list}${unnamed ? " and tenant models not named here" : ""}`;
}

/** The tags a front door's operations are grouped under: the dialects at the root, else the app. */
function frontTags(front: DocumentedFront): { name: string; description: string }[] {
  if (!front.app)
    return [
      { name: "OpenAI", description: "OpenAI-compatible client API" },
      { name: "Anthropic", description: "Anthropic-compatible client API" },
    ];
  const baseUrl = front.dialect === "openai" ? `${front.prefix}/v1` : front.prefix;
  const sdk = front.dialect === "openai" ? "OpenAI" : "Anthropic";
  const { name, models, unnamedModels, tenant } = front.app;
  const narrowed = [
    ...(models.includes("*") ? [] : [onlyModels(models, unnamedModels)]),
    ...(tenant ? [`only for members of tenant \`${tenant}\``] : []),
  ];
  return [
    {
      name,
      description: `App \`${name}\`: the ${sdk}-compatible API at \`${front.prefix}\` (the ${sdk} SDK's baseURL is the gateway's URL + \`${baseUrl}\`)${narrowed.length > 0 ? `; ${narrowed.join(", ")}` : ""}.`,
    },
  ];
}
