import { describe, expect, test } from "bun:test";
import { Validator } from "@seriousme/openapi-schema-validator";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { anthropicSchemas } from "../../translate/anthropic-schema.ts";
import { validateBody } from "../validate-body.ts";
import { PROMISED_OPERATIONS } from "./promised-operations.ts";
import { documentAndServer, misexampled, type OpenApiDoc, operationsOf } from "./testing/openapi-doc-kit.ts";

// The document against the server it describes, for the default config and for one with apps
// mounted and route groups switched off: every route the assembled gateway registers is
// documented, nothing unserved is, and the document is valid OpenAPI 3.1 with examples that
// meet their own schemas. The examples against the config's models: openapi-examples.test.ts.

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
