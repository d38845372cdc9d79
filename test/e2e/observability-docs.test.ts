import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import { Validator } from "@seriousme/openapi-schema-validator";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import OpenAI from "openai";
import { PROMISED_OPERATIONS } from "../../src/http/docs/promised-operations.ts";
import { launchBrowser, offLoopback, type TestBrowser } from "./harness/browser.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";

// /docs/openapi.json is a valid OpenAPI 3.1 document; what the official SDKs send validates
// against its request schemas; /docs renders it in headless Chromium from the binary alone.

interface OpenApiDoc {
  openapi: string;
  paths: Record<
    string,
    Record<
      string,
      {
        requestBody?: { content: Record<string, { schema: { $ref: string } }> };
        responses?: Record<string, { content?: Record<string, { schema: object }> }>;
      }
    >
  >;
  components: { schemas: Record<string, object> };
}

let gw: GatewayProcess;
let doc: OpenApiDoc;
let browser: TestBrowser | undefined;
const sent: { method: string; path: string; body: unknown }[] = [];

/** The SDKs' fetch, recording each request before it goes to the gateway. */
const recordingFetch: typeof fetch = Object.assign(
  async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    const text = await request.clone().text();
    sent.push({
      method: request.method,
      path: new URL(request.url).pathname,
      body: text ? JSON.parse(text) : undefined,
    });
    return fetch(request);
  },
  { preconnect: fetch.preconnect },
);

const fx = gatewayFixture({
  fakeRoutes: false,
  config: (_fakeUrl, { fake }) => ({
    providers: [
      { name: "fake", type: "openai", base_url: `${fake.url}/v1` },
      { name: "fake-anthropic", type: "anthropic", base_url: fake.url },
    ],
    models: [
      { name: "m1", routes: [{ provider: "fake", model: "fake-model" }] },
      { name: "claude-x", routes: [{ provider: "fake-anthropic", model: "claude-fake" }] },
    ],
  }),
});

beforeAll(async () => {
  gw = fx.gw;
  const res = await fetch(`${gw.url}/docs/openapi.json`);
  expect(res.status).toBe(200);
  doc = (await res.json()) as OpenApiDoc;
}, 30_000);

afterAll(async () => {
  await browser?.close();
});

describe("docs: OpenAPI", () => {
  test("the document is valid OpenAPI 3.1 and covers client, admin, operator and worker routes", async () => {
    expect(doc.openapi).toBe("3.1.0");
    const result = await new Validator().validate(doc as never);
    expect(result).toEqual({ valid: true });
    // The whole promised surface, as the binary serves its document (the in-process test,
    // src/http/docs/openapi-document.test.ts, also holds it to the routes the server registers).
    const documented = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(PROMISED_OPERATIONS.filter((operation) => !documented.includes(operation))).toEqual([]);
    expect(Object.keys(doc.components.schemas)).toEqual(
      expect.arrayContaining(["GatewayFrame", "WorkerFrame"]),
    );
  });

  test("the official SDKs' requests validate against the document's request schemas", async () => {
    const key = gw.adminKey ?? "";
    const openai = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: key, fetch: recordingFetch, maxRetries: 0 });
    const anthropic = new Anthropic({ baseURL: gw.url, apiKey: key, fetch: recordingFetch, maxRetries: 0 });
    await openai.chat.completions.create({
      model: "m1",
      messages: [{ role: "user", content: "hello there" }],
      tools: [{ type: "function", function: { name: "f", parameters: { type: "object", properties: {} } } }],
    });
    const stream = await openai.chat.completions.create({
      model: "m1",
      messages: [{ role: "user", content: "hello there" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    for await (const _ of stream);
    await openai.completions.create({ model: "m1", prompt: "hello there" });
    await openai.embeddings.create({ model: "m1", input: ["hello there"] });
    await anthropic.messages.create({
      model: "claude-x",
      max_tokens: 64,
      messages: [{ role: "user", content: "hello there" }],
    });
    const ajv = new Ajv2020({ strict: false });
    expect(sent.map((s) => s.path)).toEqual([
      "/v1/chat/completions",
      "/v1/chat/completions",
      "/v1/completions",
      "/v1/embeddings",
      "/v1/messages",
    ]);
    for (const request of sent) {
      const ref =
        doc.paths[request.path]?.[request.method.toLowerCase()]?.requestBody?.content["application/json"]
          ?.schema.$ref;
      const schema = doc.components.schemas[ref?.split("/").pop() ?? ""];
      expect(schema).toBeDefined();
      const validate = ajv.compile(schema ?? {});
      expect({ path: request.path, valid: validate(request.body), errors: validate.errors ?? null }).toEqual({
        path: request.path,
        valid: true,
        errors: null,
      });
    }
    // And a body the gateway refuses is one the schema refuses too.
    const chat = ajv.compile(doc.components.schemas.ChatCompletionRequest ?? {});
    expect(chat({ model: "m1" })).toBe(false);
  });

  test("the model list and a model, in either SDK's shape, and their 404s match the documented answers", async () => {
    const key = gw.adminKey ?? "";
    const ajv = new Ajv2020({ strict: false });
    addFormats(ajv);
    // The document's error schemas are references into its components: resolved for ajv.
    const resolved = (schema: object) =>
      JSON.parse(
        JSON.stringify(schema).replace(/\{"\$ref":"#\/components\/schemas\/(\w+)"\}/g, (_, name: string) =>
          JSON.stringify(doc.components.schemas[name]),
        ),
      ) as object;
    const answer = (path: string, status: string) =>
      resolved(doc.paths[path]?.get?.responses?.[status]?.content?.["application/json"]?.schema ?? {});
    const anthropicHeaders = { "x-api-key": key, "anthropic-version": "2023-06-01" };
    const cases: [string, string, Record<string, string>, number][] = [
      ["/v1/models", "/v1/models", { authorization: `Bearer ${key}` }, 200],
      ["/v1/models?limit=1", "/v1/models", anthropicHeaders, 200],
      ["/v1/models/m1", "/v1/models/{id}", { authorization: `Bearer ${key}` }, 200],
      ["/v1/models/claude-x", "/v1/models/{id}", anthropicHeaders, 200],
      ["/v1/models/nope", "/v1/models/{id}", { authorization: `Bearer ${key}` }, 404],
      ["/v1/models/nope", "/v1/models/{id}", anthropicHeaders, 404],
      ["/v1/models?limit=0", "/v1/models", anthropicHeaders, 400],
    ];
    for (const [url, path, headers, status] of cases) {
      const res = await fetch(gw.url + url, { headers });
      const body = await res.json();
      const validate = ajv.compile(answer(path, String(status)));
      expect({ url, status: res.status, valid: validate(body), errors: validate.errors ?? null }).toEqual({
        url,
        status,
        valid: true,
        errors: null,
      });
    }
  });

  // Bounds wide enough for the slowest render seen in a whole-suite run on two shared cores (26 s:
  // Chromium's first start on a fresh machine, then Swagger UI laying out the whole document;
  // 2–5 s alone). A page that never renders still fails, at the bound.
  test("/docs renders in headless Chromium, and nothing leaves loopback", async () => {
    browser = await launchBrowser();
    const page = await browser.newPage();
    await page.goto(`${gw.url}/docs`, { timeout: 60_000 });
    await page.locator(".swagger-ui .info .title").filter({ hasText: "mindgw" }).waitFor({ timeout: 60_000 });
    await page
      .locator(".opblock-summary-path", { hasText: "/v1/chat/completions" })
      .first()
      .waitFor({ timeout: 30_000 });
    await page
      .locator(".opblock-summary-path", { hasText: "/admin/api/keys" })
      .first()
      .waitFor({ timeout: 30_000 });
    expect(browser.requests.length).toBeGreaterThanOrEqual(4);
    expect(offLoopback(browser.requests)).toEqual([]);
    expect(browser.problems).toEqual([]);
    if (process.env.MINDGW_SCREENSHOT) await page.screenshot({ path: process.env.MINDGW_SCREENSHOT });
  }, 120_000);
});
