import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import { Validator } from "@seriousme/openapi-schema-validator";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import OpenAI from "openai";
import WebSocket from "ws";
import { PROMISED_OPERATIONS } from "../../src/http/docs/promised-operations.ts";
import { type CannedUpstream, startCannedUpstream } from "../fake-upstream/canned-upstream.ts";
import { launchBrowser, offLoopback, type TestBrowser } from "./harness/browser.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import { waitFor } from "./harness/wait-for.ts";

// /docs/openapi.json is a valid OpenAPI 3.1 document; what the official SDKs send validates
// against its request schemas; /docs renders it in headless Chromium from the binary alone.

interface OpenApiDoc {
  openapi: string;
  paths: Record<
    string,
    Record<
      string,
      {
        requestBody?: { content: Record<string, { schema: { $ref: string }; example?: unknown }> };
        responses?: Record<string, { content?: Record<string, { schema: object }> }>;
        parameters?: { name: string; in: string; required?: boolean; example?: unknown }[];
        security?: unknown[];
      }
    >
  >;
  components: { schemas: Record<string, object> };
}

let gw: GatewayProcess;
/** An upstream that answers the bytes queued: errors of OpenAI's shape without `param` or `code`. */
let canned: CannedUpstream;
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
  config: (_fakeUrl, { fake, own }) => {
    canned = own(startCannedUpstream());
    return {
      providers: [
        { name: "fake", type: "openai", base_url: `${fake.url}/v1` },
        { name: "fake-anthropic", type: "anthropic", base_url: fake.url },
        { name: "canned", type: "openai", base_url: `${canned.url}/v1` },
      ],
      models: [
        { name: "m1", routes: [{ provider: "fake", model: "fake-model" }] },
        { name: "claude-x", routes: [{ provider: "fake-anthropic", model: "claude-fake" }] },
        { name: "m-canned", routes: [{ provider: "canned", model: "canned-model" }] },
      ],
      // An upstream's error reaches the caller from its one attempt.
      routing: { retries: 0 },
    };
  },
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

  test("the model calls' and the admin API's answers meet their documented schemas, whole and translated", async () => {
    const key = gw.adminKey ?? "";
    const ajv = new Ajv2020({ strict: false });
    addFormats(ajv);
    ajv.addSchema({ ...doc, $id: "doc" }, "doc");
    const schemaOf = (path: string, method: string, status: number) => {
      const schema = doc.paths[path]?.[method]?.responses?.[String(status)]?.content?.["application/json"]
        ?.schema as { $ref?: string } | undefined;
      return schema?.$ref ? { $ref: `doc${schema.$ref}` } : (schema ?? { not: {} });
    };
    const headers = {
      authorization: `Bearer ${key}`,
      "content-type": "application/json",
      "anthropic-version": "2023-06-01",
    };
    const created = (await (
      await fetch(`${gw.url}/admin/api/keys`, {
        method: "POST",
        headers,
        body: JSON.stringify({ name: "doc-check" }),
      })
    ).json()) as { id: string };
    const chat = { messages: [{ role: "user", content: "hi" }] };
    const cases: [string, string, string, object | undefined, number][] = [
      ["post", "/v1/chat/completions", "/v1/chat/completions", { ...chat, model: "m1" }, 200],
      ["post", "/v1/chat/completions", "/v1/chat/completions", { ...chat, model: "claude-x" }, 200],
      ["post", "/v1/completions", "/v1/completions", { model: "m1", prompt: "hi" }, 200],
      ["post", "/v1/embeddings", "/v1/embeddings", { model: "m1", input: "hi" }, 200],
      ["post", "/v1/responses", "/v1/responses", { model: "m1", input: "hi" }, 200],
      ["post", "/v1/messages", "/v1/messages", { ...chat, model: "claude-x", max_tokens: 16 }, 200],
      ["post", "/v1/messages", "/v1/messages", { ...chat, model: "m1", max_tokens: 16 }, 200],
      ["post", "/v1/messages/count_tokens", "/v1/messages/count_tokens", { ...chat, model: "claude-x" }, 200],
      ["get", "/admin/api/keys", "/admin/api/keys", undefined, 200],
      ["get", "/admin/api/keys/{id}", `/admin/api/keys/${created.id}`, undefined, 200],
      ["post", "/admin/api/keys/{id}/limits", `/admin/api/keys/${created.id}/limits`, { rpm: 10 }, 200],
      ["post", "/admin/api/keys/{id}/rotate", `/admin/api/keys/${created.id}/rotate`, {}, 201],
      ["get", "/admin/api/audit", "/admin/api/audit?limit=5", undefined, 200],
      ["get", "/admin/api/status", "/admin/api/status", undefined, 200],
      ["get", "/admin/api/workers", "/admin/api/workers", undefined, 200],
      ["get", "/admin/api/routing", "/admin/api/routing", undefined, 200],
      ["get", "/healthz", "/healthz", undefined, 200],
      ["get", "/readyz", "/readyz", undefined, 200],
    ];
    for (const [method, path, url, body, status] of cases) {
      const res = await fetch(gw.url + url, {
        method: method.toUpperCase(),
        headers,
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      const answer = await res.json();
      const valid = ajv.validate(schemaOf(path, method, status), answer);
      expect({ url, status: res.status, valid, errors: ajv.errors ?? null }).toEqual({
        url,
        status,
        valid: true,
        errors: null,
      });
    }
    const rotated = (await (
      await fetch(`${gw.url}/admin/api/keys/doc-check/revoke`, { method: "POST", headers })
    ).json()) as object;
    expect(ajv.validate(schemaOf("/admin/api/keys/{id}/revoke", "post", 200), rotated)).toBe(true);
  });

  test("an upstream's error relayed as it came (a 500, a 429 without param or code) meets the documented answers", async () => {
    const ajv = new Ajv2020({ strict: false });
    addFormats(ajv);
    ajv.addSchema({ ...doc, $id: "doc" }, "doc");
    const responses = doc.paths["/v1/chat/completions"]?.post?.responses ?? {};
    // One schema per status, no union a generated client would wrap: the upstream's shape where an
    // upstream's error may be relayed (the gateway's own meets it too), the gateway's where only it answers.
    const schemaAt = (status: string) => responses[status]?.content?.["application/json"]?.schema;
    expect(schemaAt("429")).toEqual({ $ref: "#/components/schemas/OpenAIUpstreamError" });
    expect(schemaAt("401")).toEqual({ $ref: "#/components/schemas/OpenAIError" });
    const cases = [
      { status: 500, body: { error: { message: "the model crashed", type: "server_error" } } },
      { status: 429, body: { error: { message: "slow down", type: "rate_limit_exceeded" } } },
      { status: 422, body: { error: { message: "unprocessable", type: null, code: 422 } } },
    ];
    for (const { status, body } of cases) {
      canned.queue({ status, headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
      const res = await fetch(`${gw.url}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${gw.adminKey ?? ""}`, "content-type": "application/json" },
        body: JSON.stringify({ model: "m-canned", messages: [{ role: "user", content: "hi" }] }),
      });
      const answer = await res.json();
      // Relayed as sent: the documented answer must describe it, not the gateway's own shape.
      expect(answer).toEqual(body);
      const documented = responses[String(res.status)] ?? responses.default;
      const schema = documented?.content?.["application/json"]?.schema;
      // Its references, in an `anyOf` too, read in the document ajv holds as "doc".
      const inDoc = JSON.parse(
        JSON.stringify(schema ?? { not: {} }).replaceAll('"#/components/', '"doc#/components/'),
      );
      const valid = ajv.validate(inDoc, answer);
      expect({ status: res.status, valid, errors: ajv.errors ?? null }).toEqual({
        status,
        valid: true,
        errors: null,
      });
    }
  });

  // Bounds wide enough for the slowest render seen in a whole-suite run on two shared cores (26 s:
  // Chromium's first start on a fresh machine, then Swagger UI laying out the whole document;
  // 2–5 s alone). A page that never renders still fails, at the bound.
  test("/docs and its document carry the console's headers: no inline script, no framing, nosniff", async () => {
    for (const path of ["/docs", "/docs/openapi.json"]) {
      const answer = await fetch(`${gw.url}${path}`);
      await answer.arrayBuffer();
      expect({
        path,
        csp: answer.headers.get("content-security-policy"),
        frame: answer.headers.get("x-frame-options"),
        sniff: answer.headers.get("x-content-type-options"),
      }).toEqual({
        path,
        csp: "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        frame: "DENY",
        sniff: "nosniff",
      });
    }
  });

  test('/docs renders in headless Chromium under that policy, "Try it out" works, and nothing leaves loopback', async () => {
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
    // "Try it out" sends its request from the page, as the policy lets it: to this origin.
    const health = page
      .locator(".opblock", { has: page.locator(".opblock-summary-path", { hasText: /^\/healthz$/ }) })
      .first();
    await health.locator(".opblock-summary").click();
    await health.getByRole("button", { name: "Try it out" }).click();
    await health.getByRole("button", { name: "Execute" }).click();
    const status = health.locator(".live-responses-table tbody .response-col_status").first();
    await status.waitFor({ timeout: 30_000 });
    expect((await status.textContent())?.trim()).toBe("200");
    expect(browser.requests.length).toBeGreaterThanOrEqual(5);
    expect(offLoopback(browser.requests)).toEqual([]);
    // A policy the page broke would be here too: Chromium logs each refusal as an error.
    expect(browser.problems).toEqual([]);
    if (process.env.MINDGW_SCREENSHOT) await page.screenshot({ path: process.env.MINDGW_SCREENSHOT });
  }, 120_000);
});

describe("docs: OpenAPI with apps mounted, workers and /metrics off", () => {
  let apps: GatewayProcess;
  let appsDoc: OpenApiDoc;
  let key = "";

  beforeAll(async () => {
    const fakeUrl = fx.fake.url;
    apps = await fx.startGateway({
      config: {
        providers: [
          { name: "fake", type: "openai", base_url: `${fakeUrl}/v1` },
          { name: "fake-anthropic", type: "anthropic", base_url: fakeUrl },
        ],
        // Every model the document's examples name is routed.
        models: [
          { name: "claude-*", routes: [{ provider: "fake-anthropic", model: "claude-fake" }] },
          { name: "*", routes: [{ provider: "fake", model: "fake-model" }] },
        ],
        apps: [
          { name: "openai-api", frontdoor: "openai", path: "/openai" },
          { name: "anthropic-api", frontdoor: "anthropic", path: "/anthropic" },
        ],
        workers: { enabled: false },
        metrics: { enabled: false },
      },
    });
    key = apps.adminKey ?? "";
    const res = await fetch(`${apps.url}/docs/openapi.json`);
    expect(res.status).toBe(200);
    appsDoc = (await res.json()) as OpenApiDoc;
  }, 60_000);

  const auth = () => ({ authorization: `Bearer ${key}`, "content-type": "application/json" });
  /** A documented status that is a success: a 2xx, or a WebSocket's 101. */
  const isSuccess = (code: string) => code.startsWith("2") || code === "101";

  /** The path a concrete URL path is listed as, if any: itself, else a template (`{id}` one segment). */
  const listedAs = (path: string) =>
    appsDoc.paths[path]
      ? path
      : Object.keys(appsDoc.paths).find((listed) =>
          new RegExp(`^${listed.replace(/\{[^}]+\}/g, "[^/]+")}$`).test(path),
        );

  test("the document is valid and lists the client API only under the apps", async () => {
    expect(await new Validator().validate(appsDoc as never)).toEqual({ valid: true });
    const paths = Object.keys(appsDoc.paths);
    expect(paths).toEqual(expect.arrayContaining(["/openai/v1/chat/completions", "/anthropic/v1/messages"]));
    const unlisted = ["/v1/chat/completions", "/v1/messages", "/v1/models", "/workers/connect", "/metrics"];
    expect(paths.filter((path) => unlisted.includes(path))).toEqual([]);
    // …and they are indeed not served.
    for (const path of unlisted)
      expect({ path, status: (await fetch(apps.url + path, { headers: auth() })).status }).toEqual({
        path,
        status: 404,
      });
  });

  test("every listed operation answers a suitable request, and not with a 404: each succeeds, or answers as documented", async () => {
    // The ids the paths name: a model the config routes, a stored response, two keys.
    const stored = await fetch(`${apps.url}/openai/v1/responses`, {
      method: "POST",
      headers: auth(),
      body: JSON.stringify({ model: "gpt-4o-mini", input: "keep this", store: true }),
    });
    expect(stored.status).toBe(200);
    const responseId = ((await stored.json()) as { id: string }).id;
    const newKey = async () => {
      const res = await fetch(`${apps.url}/admin/api/keys`, {
        method: "POST",
        headers: auth(),
        body: JSON.stringify({ name: `k-${crypto.randomUUID()}`, role: "user" }),
      });
      return ((await res.json()) as { id: string }).id;
    };
    const [keyId, revokedId] = [await newKey(), await newKey()];
    const idOf = (path: string) =>
      path.includes("/responses/")
        ? responseId
        : path.endsWith("/revoke")
          ? revokedId
          : path.includes("/keys/")
            ? keyId
            : "gpt-4o-mini";
    // Deletes last, so that the reads before them find what they read.
    const operations = Object.entries(appsDoc.paths)
      .flatMap(([path, methods]) =>
        Object.entries(methods).map(([method, operation]) => ({ path, method, operation })),
      )
      .sort((a, b) => Number(a.method === "delete") - Number(b.method === "delete"));
    const answered: { operation: string; status: number; refusalOnly: boolean; documented: string[] }[] = [];
    for (const { path, method, operation } of operations) {
      const url = apps.url + path.replace(/\{id\}/g, encodeURIComponent(idOf(path)));
      const headers = operation.security?.length === 0 ? {} : auth();
      let status: number;
      if (operation.parameters?.some((p) => p.in === "header" && p.name === "Upgrade" && p.required)) {
        status = await upgradeStatus(url.replace(/^http/, "ws"), headers);
      } else {
        const body = operation.requestBody?.content["application/json"]?.example;
        const res = await fetch(url, {
          method: method.toUpperCase(),
          headers,
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        status = res.status;
        await res.body?.cancel();
      }
      // An operation the document lists with no success (OpenAI's that the gateway names and does
      // not do: cancelling a background response, counting input tokens) answers one of its own.
      const documented = Object.keys(operation.responses ?? {});
      const refusalOnly = !documented.some(isSuccess);
      answered.push({ operation: `${method.toUpperCase()} ${path}`, status, refusalOnly, documented });
    }
    expect(answered.length).toBeGreaterThan(30);
    // Not a 404, nor any refusal: each succeeds (a WebSocket opens; a refused upgrade that told no
    // status counts as -1), or answers as documented where the document lists no success.
    const succeeded = ({ status }: { status: number }) => status === 101 || (status >= 200 && status < 300);
    expect(
      answered
        .filter((answer) =>
          answer.refusalOnly ? !answer.documented.includes(String(answer.status)) : !succeeded(answer),
        )
        .map(({ operation, status }) => ({ operation, status })),
    ).toEqual([]);
    // …which is two operations, not a way round the rule.
    const noSuccess = Object.values(appsDoc.paths)
      .flatMap((methods) => Object.values(methods))
      .filter((operation) => !Object.keys(operation.responses ?? {}).some(isSuccess));
    expect(noSuccess.length).toBe(2);
  }, 60_000);

  test("every path the official SDKs call through the apps is listed", async () => {
    const calls: string[] = [];
    const recording: typeof fetch = Object.assign(
      async (input: RequestInfo | URL, init?: RequestInit) => {
        const request = new Request(input, init);
        calls.push(`${request.method} ${new URL(request.url).pathname}`);
        return fetch(request);
      },
      { preconnect: fetch.preconnect },
    );
    const openai = new OpenAI({
      baseURL: `${apps.url}/openai/v1`,
      apiKey: key,
      fetch: recording,
      maxRetries: 0,
    });
    const anthropic = new Anthropic({
      baseURL: `${apps.url}/anthropic`,
      apiKey: key,
      fetch: recording,
      maxRetries: 0,
    });
    await openai.chat.completions.create({ model: "m1", messages: [{ role: "user", content: "hi" }] });
    await openai.completions.create({ model: "m1", prompt: "hi" });
    await openai.embeddings.create({ model: "m1", input: "hi" });
    const response = await openai.responses.create({ model: "m1", input: "hi", store: true });
    await openai.responses.retrieve(response.id);
    await openai.responses.inputItems.list(response.id);
    await openai.responses.compact({ model: "m1", input: "hi" });
    await openai.responses.delete(response.id);
    await openai.models.list();
    await openai.models.retrieve("m1");
    await anthropic.messages.create({
      model: "claude-x",
      max_tokens: 16,
      messages: [{ role: "user", content: "hi" }],
    });
    await anthropic.messages.countTokens({ model: "claude-x", messages: [{ role: "user", content: "hi" }] });
    for await (const _ of anthropic.models.list());
    await anthropic.models.retrieve("claude-x");
    expect(calls.length).toBe(14);
    const unlisted = calls.filter((call) => {
      const [method = "", path = ""] = call.split(" ");
      return appsDoc.paths[listedAs(path) ?? ""]?.[method.toLowerCase()] === undefined;
    });
    expect(unlisted).toEqual([]);
  });
});

/** The status a WebSocket upgrade to `url` is answered with: 101 once it opens, else the refusal's. */
async function upgradeStatus(url: string, headers: Record<string, string>): Promise<number> {
  // The `ws` package (the OpenAI SDK's socket): it tells a refused upgrade's status.
  const socket = new WebSocket(url, { headers });
  let status: number | undefined;
  socket.on("open", () => {
    status = 101;
  });
  socket.on("unexpected-response", (_request, response) => {
    status = response.statusCode ?? -1;
  });
  socket.on("error", () => {
    status ??= -1;
  });
  const answered = await waitFor(`the upgrade of ${url}`, () => status);
  socket.terminate();
  return answered;
}
