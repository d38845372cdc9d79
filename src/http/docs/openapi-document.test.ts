import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Validator } from "@seriousme/openapi-schema-validator";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { parseConfig } from "../../config/load-config.ts";
import { type BuiltGateway, createGateway } from "../../gateway/create-gateway.ts";
import { anthropicSchemas } from "../../translate/anthropic-schema.ts";
import { validateBody } from "../validate-body.ts";
import { openApiDocument } from "./openapi-document.ts";
import { PROMISED_OPERATIONS } from "./promised-operations.ts";
import { servedSurfaceOf } from "./served-surface.ts";

// The document against the server it describes, for the default config and for one with apps
// mounted and route groups switched off: every route the assembled gateway registers is
// documented, nothing unserved is, and the document is valid OpenAPI 3.1 with examples that
// meet their own schemas.

interface MediaType {
  schema?: { $ref?: string };
  example?: unknown;
}
interface Operation {
  operationId?: string;
  security?: unknown[];
  requestBody?: { content: Record<string, MediaType> };
  responses: Record<string, { content?: Record<string, MediaType> }>;
}
interface OpenApiDoc {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, object> };
}

/** Every operation of a document as `METHOD /path`. */
const operationsOf = (doc: OpenApiDoc) =>
  Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
  );

/**
 * Served but not part of the API the document describes: the admin web UI (its shell, assets,
 * pages and sign-in plumbing, everything under `/admin` but `/admin/api`) and the docs page itself.
 */
const isApi = (path: string) =>
  !path.startsWith("/docs") && (!path.startsWith("/admin") || path.startsWith("/admin/api/"));

/**
 * An Elysia route as OpenAPI spells it: `{id}` for `:id` and for the model id that is the rest of
 * `/v1/models/*` (under an app's prefix too), no trailing slash, a WebSocket as its GET upgrade.
 */
function operationOf(method: string, path: string): string {
  const openApiPath = path
    .replace(/:(\w+)/g, "{$1}")
    .replace(/\/v1\/models\/\*$/, "/v1/models/{id}")
    .replace(/(.)\/$/, "$1");
  return `${method === "WS" ? "GET" : method} ${openApiPath}`;
}

const dir = mkdtempSync(join(tmpdir(), "mindgw-openapi-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * The document of a gateway on `config` (over an embedded store) and the operations that
 * gateway's server registers.
 */
function documentAndServer(name: string, config: Record<string, unknown>) {
  const state: { doc: OpenApiDoc; served: string[]; gateway?: BuiltGateway } = {
    doc: { paths: {}, components: { schemas: {} } },
    served: [],
  };
  beforeAll(async () => {
    const parsed = parseConfig({
      storage: { path: join(dir, `${name}.db`) },
      auth: { bootstrap_admin: false },
      ...config,
    });
    state.doc = openApiDocument("0.0.0-test", servedSurfaceOf(parsed)) as unknown as OpenApiDoc;
    state.gateway = await createGateway({ config: parsed });
    state.served = state.gateway.app.routes
      .filter((route) => isApi(route.path))
      .map((route) => operationOf(route.method, route.path));
  });
  afterAll(async () => {
    await state.gateway?.stop();
  });
  return state;
}

describe("the OpenAPI document of the default config", () => {
  // The default config serves every route group a single node has (workers, metrics, stored
  // responses at the root); a cluster's node-to-node endpoint is not part of the public API.
  const gw = documentAndServer("default", {});

  test("is valid OpenAPI 3.1", async () => {
    expect(await new Validator().validate(gw.doc as never)).toEqual({ valid: true });
  });

  test("documents every route the gateway serves, and nothing it does not", () => {
    const documented = operationsOf(gw.doc);
    expect(gw.served.length).toBeGreaterThan(20);
    expect(gw.served.filter((operation) => !documented.includes(operation))).toEqual([]);
    expect(documented.filter((operation) => !gw.served.includes(operation))).toEqual([]);
  });

  test("covers everything the product contract promises", () => {
    const documented = operationsOf(gw.doc);
    expect(PROMISED_OPERATIONS.filter((operation) => !documented.includes(operation))).toEqual([]);
    expect(PROMISED_OPERATIONS.filter((operation) => !gw.served.includes(operation))).toEqual([]);
  });

  test("every operation that takes a credential documents its refusals (401, 403)", () => {
    expect(unrefused(gw.doc)).toEqual([]);
  });

  test("every example meets the schema it illustrates", () => {
    expect(misexampled(gw.doc)).toEqual([]);
  });

  test("every operation has an operationId, and no two the same", () => {
    expect(unidentified(gw.doc)).toEqual([]);
    expect(operationIdsOf(gw.doc).length).toBe(operationsOf(gw.doc).length);
  });

  test("every admin API operation's id begins with what it does (list_, get_, create_, …), as a code generator's method name would", () => {
    const admin = Object.entries(gw.doc.paths)
      .filter(([path]) => path.startsWith("/admin/api/"))
      .flatMap(([, methods]) => Object.values(methods).map((operation) => operation.operationId ?? ""));
    expect(admin.length).toBeGreaterThan(10);
    expect(admin.filter((id) => !ADMIN_VERB.test(id))).toEqual([]);
  });

  test("every documented request body is one the gateway takes, at the door and in translation, and no other: `stream` null on Messages too", () => {
    const ajv = new Ajv2020({ strict: false });
    addFormats(ajv);
    const documented = (name: string) => ajv.compile(gw.doc.components.schemas[name] ?? {});
    const takes = (operation: "chat" | "messages", body: Record<string, unknown>) => {
      try {
        validateBody(operation, body);
      } catch {
        return false;
      }
      // An Anthropic caller's body is translated for an OpenAI route: what the door took, that must take too.
      return operation === "chat" || anthropicSchemas().request.safeParse(body).success;
    };
    const messages = [{ role: "user", content: "hi" }];
    for (const stream of [null, true, false, undefined, "yes"]) {
      const chat = { model: "m", messages, ...(stream === undefined ? {} : { stream }) };
      const anthropic = { ...chat, max_tokens: 16 };
      expect([stream, documented("ChatCompletionRequest")(chat)]).toEqual([stream, takes("chat", chat)]);
      expect([stream, documented("MessagesRequest")(anthropic)]).toEqual([
        stream,
        takes("messages", anthropic),
      ]);
    }
  });

  test("a compaction's body is described as one, not as a Responses request that continues and stores an answer", () => {
    const body = gw.doc.paths["/v1/responses/compact"]?.post?.requestBody?.content["application/json"];
    const ref = body?.schema?.$ref ?? "";
    const schema = gw.doc.components.schemas[ref.replace("#/components/schemas/", "")] as {
      description?: string;
      examples?: Record<string, unknown>[];
    };
    expect(ref).not.toBe("#/components/schemas/ResponsesRequest");
    expect(schema.description).toStartWith("The conversation to compact");
    expect(schema.examples?.some((example) => "store" in example)).toBe(false);
    expect(body?.example).toEqual(schema.examples?.[0]);
  });

  test("an event stream is offered only by the operations that stream: never embeddings, a count or a compaction", () => {
    const streamed = Object.entries(gw.doc.paths).flatMap(([path, methods]) =>
      methods.post?.responses["200"]?.content?.["text/event-stream"] ? [path] : [],
    );
    expect(streamed.sort()).toEqual([
      "/v1/chat/completions",
      "/v1/completions",
      "/v1/messages",
      "/v1/responses",
    ]);
  });
});

describe("the OpenAPI document with apps mounted, workers and /metrics off", () => {
  const gw = documentAndServer("apps", {
    apps: [
      { name: "openai-api", frontdoor: "openai", path: "/openai" },
      { name: "anthropic-api", frontdoor: "anthropic", path: "/anthropic" },
      {
        name: "team-a-app",
        frontdoor: "openai",
        path: "/team-a/openai",
        models: ["gpt-*"],
        tenant: "team-a",
      },
    ],
    tenants: [{ name: "team-a" }],
    workers: { enabled: false },
    metrics: { enabled: false },
  });

  test("is valid OpenAPI 3.1", async () => {
    expect(await new Validator().validate(gw.doc as never)).toEqual({ valid: true });
  });

  test("every operation has an operationId, and no two the same across the apps", () => {
    expect(unidentified(gw.doc)).toEqual([]);
    // The same operation under two apps is two: each app's id is its own.
    const compactions = operationIdsOf(gw.doc).filter((id) => id.endsWith("compact_response"));
    expect(compactions).toEqual(["openai-api.compact_response", "team-a-app.compact_response"]);
  });

  test("documents every route the gateway serves, and nothing it does not", () => {
    const documented = operationsOf(gw.doc);
    expect(gw.served.filter((operation) => !documented.includes(operation))).toEqual([]);
    expect(documented.filter((operation) => !gw.served.includes(operation))).toEqual([]);
  });

  test("the client API only under each app, in its dialect; no worker endpoint, no /metrics", () => {
    const documented = operationsOf(gw.doc);
    expect(documented).toEqual(
      expect.arrayContaining([
        "POST /openai/v1/chat/completions",
        "POST /openai/v1/responses",
        "GET /openai/v1/responses",
        "GET /openai/v1/responses/{id}",
        "GET /openai/v1/models/{id}",
        "POST /team-a/openai/v1/embeddings",
        "POST /anthropic/v1/messages",
        "GET /anthropic/v1/models",
        "HEAD /anthropic/api/hello",
        "GET /api/hello",
      ]),
    );
    const unserved = [
      "POST /v1/chat/completions",
      "GET /v1/models",
      "POST /openai/v1/messages",
      "POST /anthropic/v1/chat/completions",
      "GET /anthropic/v1/responses/{id}",
      "GET /openai/api/hello",
      "GET /workers/connect",
      "GET /metrics",
    ];
    expect(documented.filter((operation) => unserved.includes(operation))).toEqual([]);
    expect(gw.served.filter((operation) => unserved.includes(operation))).toEqual([]);
  });

  test("every operation that takes a credential documents its refusals (401, 403)", () => {
    expect(unrefused(gw.doc)).toEqual([]);
  });

  test("every example meets the schema it illustrates", () => {
    expect(misexampled(gw.doc)).toEqual([]);
  });
});

/** The verbs an admin operation's id begins with. */
const ADMIN_VERB = /^(list|get|create|revoke|rotate|set|query|export|stream)_/;

/** Every operation's id, where it has one. */
const operationIdsOf = (doc: OpenApiDoc): string[] =>
  Object.values(doc.paths).flatMap((methods) =>
    Object.values(methods).flatMap((operation) => (operation.operationId ? [operation.operationId] : [])),
  );

/** The operations without an operationId, and the ids that more than one operation has. */
function unidentified(doc: OpenApiDoc): string[] {
  const missing = Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods)
      .filter(([, operation]) => !operation.operationId)
      .map(([method]) => `${method.toUpperCase()} ${path}`),
  );
  const ids = operationIdsOf(doc);
  const repeated = ids.filter((id, i) => ids.indexOf(id) !== i).map((id) => `${id} twice`);
  return [...missing, ...repeated];
}

/** The operations that take a credential but document no 401 or 403. */
function unrefused(doc: OpenApiDoc): string[] {
  return Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods)
      .filter(([, operation]) => operation.security?.length !== 0)
      .filter(([, operation]) => !operation.responses["401"] || !operation.responses["403"])
      .map(([method]) => `${method.toUpperCase()} ${path}`),
  );
}

/** The examples that do not meet the schema they illustrate. */
function misexampled(doc: OpenApiDoc): unknown[] {
  const ajv = new Ajv2020({ strict: false });
  addFormats(ajv);
  const failures: unknown[] = [];
  for (const [path, methods] of Object.entries(doc.paths))
    for (const [method, operation] of Object.entries(methods)) {
      const bodies = [
        ...Object.values(operation.requestBody?.content ?? {}),
        ...Object.values(operation.responses).flatMap((response) => Object.values(response.content ?? {})),
      ];
      for (const { schema, example } of bodies) {
        if (example === undefined || schema === undefined) continue;
        const name = schema.$ref?.split("/").pop();
        const validate = ajv.compile(name === undefined ? schema : (doc.components.schemas[name] ?? {}));
        if (!validate(example)) failures.push({ operation: `${method} ${path}`, errors: validate.errors });
      }
    }
  return failures;
}

describe("the OpenAPI document's examples call the models the config serves", () => {
  const routes = (model: string) => [{ provider: "p", model }];
  const documentOf = (config: Record<string, unknown>) =>
    openApiDocument(
      "0.0.0-test",
      servedSurfaceOf(
        parseConfig({
          providers: [{ name: "p", type: "openai", base_url: "http://127.0.0.1:1/v1" }],
          ...config,
        }),
      ),
    ) as unknown as OpenApiDoc;
  const exampleOf = (doc: OpenApiDoc, path: string) =>
    doc.paths[path]?.post?.requestBody?.content["application/json"]?.example as
      | { model?: string }
      | undefined;

  test("the first chat model for every call but embeddings, the first embedding model for those; no glob", () => {
    const doc = documentOf({
      models: [
        { name: "team-*", routes: routes("*") },
        { name: "vectors", routes: routes("text-embedding-3-large") },
        { name: "assistant", routes: routes("llama-3.1-8b") },
      ],
    });
    for (const path of [
      "/v1/chat/completions",
      "/v1/completions",
      "/v1/responses",
      "/v1/messages",
      "/v1/messages/count_tokens",
    ])
      expect([path, exampleOf(doc, path)?.model]).toEqual([path, "assistant"]);
    expect(exampleOf(doc, "/v1/embeddings")?.model).toBe("vectors");
    expect(misexampled(doc)).toEqual([]);
  });

  test("an app's examples call a model it allows; a kind none is configured of keeps the generic example", () => {
    const doc = documentOf({
      models: [
        { name: "assistant", routes: routes("llama-3.1-8b") },
        { name: "team-chat", routes: routes("llama-3.1-70b") },
      ],
      apps: [{ name: "team", frontdoor: "openai", path: "/team", models: ["team-chat"] }],
    });
    expect(exampleOf(doc, "/team/v1/chat/completions")?.model).toBe("team-chat");
    expect(exampleOf(doc, "/team/v1/embeddings")?.model).toBe("text-embedding-3-small");
  });

  test("an app whose allow-list is globs (or an alias) calls a configured model they match, not the generic name", () => {
    const doc = documentOf({
      models: [
        { name: "assistant", routes: routes("llama-3.1-8b") },
        { name: "text-embedding-3-large", routes: routes("text-embedding-3-large") },
        { name: "gpt-4o-2024-08-06", routes: routes("gpt-4o-2024-08-06") },
        { name: "claude-opus-house", routes: routes("claude-opus-4-1") },
        { name: "house-chat", aliases: ["house-chat-2025"], routes: routes("m") },
      ],
      apps: [
        { name: "oa", frontdoor: "openai", path: "/oa", models: ["gpt-4o*", "claude-*"] },
        { name: "an", frontdoor: "anthropic", path: "/an", models: ["claude-*"] },
        { name: "vec", frontdoor: "openai", path: "/vec", models: ["text-embedding-*"] },
        { name: "alias", frontdoor: "openai", path: "/alias", models: ["house-chat-2025"] },
      ],
    });
    expect(exampleOf(doc, "/oa/v1/chat/completions")?.model).toBe("gpt-4o-2024-08-06");
    expect(exampleOf(doc, "/an/v1/messages")?.model).toBe("claude-opus-house");
    expect(exampleOf(doc, "/vec/v1/embeddings")?.model).toBe("text-embedding-3-large");
    expect(exampleOf(doc, "/alias/v1/chat/completions")?.model).toBe("house-chat-2025");
    // Nothing configured the globs match: the generic example stays.
    expect(exampleOf(doc, "/oa/v1/embeddings")?.model).toBe("text-embedding-3-small");
    expect(misexampled(doc)).toEqual([]);
  });

  test("a tenant's own model is named nowhere in the document, which anyone may read, under an app of that tenant too", () => {
    const tenantOnly = {
      tenants: [{ name: "team-a" }],
      models: [
        { name: "acme-secret-merger-model", tenant: "team-a", routes: routes("m1") },
        { name: "acme-secret-embed-v2", tenant: "team-a", routes: routes("m2") },
        { name: "public-chat", routes: routes("m3") },
      ],
    };
    const doc = documentOf(tenantOnly);
    // Every model the document names, anywhere in it.
    const named = [...JSON.stringify(doc).matchAll(/"model":"([^"]*)"/g)].map((match) => match[1]);
    expect(named.filter((name) => name?.startsWith("acme-secret"))).toEqual([]);
    expect(exampleOf(doc, "/v1/chat/completions")?.model).toBe("public-chat");
    expect(exampleOf(doc, "/v1/embeddings")?.model).toBe("text-embedding-3-small");
    const withApps = documentOf({
      ...tenantOnly,
      apps: [
        { name: "open", frontdoor: "openai", path: "/open", models: ["*"] },
        { name: "team", frontdoor: "openai", path: "/team", models: ["*"], tenant: "team-a" },
      ],
    });
    expect(exampleOf(withApps, "/open/v1/chat/completions")?.model).toBe("public-chat");
    expect(exampleOf(withApps, "/open/v1/embeddings")?.model).toBe("text-embedding-3-small");
    // The app's callers are the tenant's; the document's readers are anyone.
    expect(exampleOf(withApps, "/team/v1/chat/completions")?.model).toBe("public-chat");
    expect(exampleOf(withApps, "/team/v1/embeddings")?.model).toBe("text-embedding-3-small");
    expect(JSON.stringify(withApps)).not.toContain("acme-secret");
  });

  test("an app's description names no entry a tenant's model serves under a glob name, none but those of no tenant under an app of a tenant, and says an empty allow-list allows no models", () => {
    const doc = documentOf({
      tenants: [{ name: "team-a" }],
      models: [
        { name: "acme-*", tenant: "team-a", routes: routes("*") },
        { name: "public-chat", routes: routes("m") },
      ],
      apps: [
        // `acme-*`, the tenant's, serves it.
        { name: "merger", frontdoor: "openai", path: "/merger", models: ["acme-secret-merger-model"] },
        // No model configured: the tenant's workers serve it, if any do.
        {
          name: "fleet",
          frontdoor: "openai",
          path: "/fleet",
          models: ["public-chat", "team-a-private-llama"],
          tenant: "team-a",
        },
        // Under an app of no tenant, a name no tenant's model serves is told as before.
        { name: "open", frontdoor: "openai", path: "/open", models: ["public-chat", "gpt-*"] },
        { name: "none", frontdoor: "openai", path: "/none", models: [] },
      ],
    }) as unknown as OpenApiDoc & { tags: { name: string; description: string }[] };
    const text = JSON.stringify(doc);
    expect(text).not.toContain("acme-secret");
    expect(text).not.toContain("team-a-private");
    const tag = (name: string) => doc.tags.find((t) => t.name === name)?.description;
    expect(tag("merger")).toEndWith("; only tenant models, not named here.");
    expect(tag("fleet")).toEndWith(
      "; only the models `public-chat` and tenant models not named here, only for members of tenant `team-a`.",
    );
    expect(tag("open")).toEndWith("; only the models `public-chat`, `gpt-*`.");
    expect(tag("none")).toEndWith("; no models.");
  });
});
