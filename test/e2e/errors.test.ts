import { beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import type { FakeUpstream } from "../fake-upstream/fake-upstream.ts";
import { auditRow } from "./harness/admin-api.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { drained, openaiFailure } from "./harness/sdk-failure.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";

// Every failure a client can meet, through the compiled binary: OpenAI's error shape, the right
// status, an x-request-id, and nothing of the gateway's insides in the body.

const MAX_BODY = 64 * 1024;
const MAX_SSE_LINE = 64 * 1024; // the least routing.max_sse_line may be

const route = (name: string, extra: object = {}) => ({
  name,
  routes: [{ provider: "fake", model: name, ...extra }],
});
const f = gatewayFixture({
  config: {
    server: { max_body: "64KB" },
    models: [
      route("m1"),
      route("flaky"),
      route("slow", { timeouts: { first_byte: "300ms" } }),
      route("long-lines"),
    ],
    routing: {
      retries: 1,
      backoff: "10ms",
      max_sse_line: MAX_SSE_LINE,
      // Failures here are deliberate; an open breaker would turn later 502s into 503s.
      circuit_breaker: { failures: 1000 },
    },
  },
});

let fake: FakeUpstream;
let gw: GatewayProcess;
let client: OpenAI;

beforeAll(() => {
  fake = f.fake;
  gw = f.gw;
  client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: gw.adminKey ?? "", maxRetries: 0 });
});

interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** Asserts the OpenAI error shape, the status, a request id and a body free of internals. */
async function expectError(response: Response, status: number): Promise<OpenAIErrorBody["error"]> {
  const text = await response.text();
  expect({ status: response.status, text }).toMatchObject({ status });
  expect(response.headers.get("x-request-id")).toMatch(/^req_/);
  expect(response.headers.get("content-type")).toContain("application/json");
  expectNoInternals(text);
  const body = JSON.parse(text) as OpenAIErrorBody;
  expect(Object.keys(body)).toEqual(["error"]);
  expect(Object.keys(body.error).sort()).toEqual(["code", "message", "param", "type"]);
  expect(typeof body.error.message).toBe("string");
  expect(typeof body.error.type).toBe("string");
  return body.error;
}

function expectNoInternals(text: string): void {
  expect(text).not.toContain("/src/");
  expect(text).not.toContain(".ts:");
  expect(text).not.toContain("$bunfs");
  expect(text).not.toMatch(/\bat [\w.<>]+ \(|\n\s+at /);
}

const post = (path: string, body: BodyInit, headers: Record<string, string> = {}) =>
  fetch(`${gw.url}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${gw.adminKey}`, "content-type": "application/json", ...headers },
    body,
  });

const chat = (model: string, text: string, extra: object = {}) =>
  JSON.stringify({ model, messages: [{ role: "user", content: text }], ...extra });

/** Requests the fake saw for `model` since `from` (its own upstream model name is the same). */
const seenFor = (model: string, from: number) =>
  fake.requests.slice(from).filter((r) => (r.body as { model?: string } | undefined)?.model === model);

describe("the request itself is wrong", () => {
  test("malformed JSON → 400", async () => {
    const error = await expectError(await post("/v1/chat/completions", '{"model": "m1", '), 400);
    expect(error.type).toBe("invalid_request_error");
  });

  test("a body that is not an object → 400", async () => {
    for (const body of ["[1,2]", '"text"', "null", "42"]) {
      await expectError(await post("/v1/chat/completions", body), 400);
    }
  });

  test("missing model → 400 naming the param", async () => {
    const error = await expectError(
      await post("/v1/chat/completions", JSON.stringify({ messages: [{ role: "user", content: "x" }] })),
      400,
    );
    expect(error.param).toBe("model");
  });

  test("unknown model → 404, also through the SDK", async () => {
    const error = await expectError(await post("/v1/chat/completions", chat("nope", "x")), 404);
    expect(error.code).toBe("model_not_found");
    const thrown = await openaiFailure(client.embeddings.create({ model: "nope", input: "x" }));
    expect(thrown).toBeInstanceOf(OpenAI.NotFoundError);
  });

  test("unknown route → 404 in OpenAI's shape", async () => {
    await expectError(await post("/v1/nothing/here", "{}"), 404);
    const get = await fetch(`${gw.url}/v2/models`);
    await expectError(get, 404);
  });

  test("a routed path asked with another method → 405 naming the methods it takes (Allow), audited", async () => {
    const ask = (method: string, path: string) =>
      fetch(`${gw.url}${path}`, { method, headers: { authorization: `Bearer ${gw.adminKey}` } });
    // A path routed for GET is answered HEAD too (its headers alone), so its Allow names HEAD
    // (RFC 9110 15.5.6: every method the resource takes); a WebSocket's GET, the upgrade, takes none.
    for (const [method, path, allow] of [
      ["GET", "/v1/chat/completions", "POST, OPTIONS"],
      ["PUT", "/admin/api/keys", "GET, HEAD, POST, OPTIONS"],
      ["DELETE", "/v1/models/m1", "GET, HEAD, OPTIONS"],
      ["POST", "/healthz", "GET, HEAD, OPTIONS"],
      ["HEAD", "/v1/responses", "GET, POST, OPTIONS"],
    ] as const) {
      const response = await ask(method, path);
      expect([path, response.headers.get("allow")]).toEqual([path, allow]);
      const row = await auditRow(gw, response.headers.get("x-request-id") ?? "");
      expect([path, row.status, row.errorClass]).toEqual([path, 405, "method_not_allowed"]);
      if (method === "HEAD") continue; // no body to read
      const error = await expectError(response, 405);
      expect(error).toMatchObject({ type: "invalid_request_error", code: "method_not_allowed" });
      expect(error.message).toBe(`${method} is not allowed on ${path}; it takes ${allow}`);
      // Each method Allow names is one the path takes: HEAD is answered as GET is, never a 405.
      if (allow.includes("HEAD")) expect([path, (await ask("HEAD", path)).status]).toEqual([path, 200]);
    }
    // In the caller's dialect: Anthropic's error shape on its path.
    const messages = await ask("GET", "/v1/messages");
    expect(messages.status).toBe(405);
    expect(await messages.json()).toMatchObject({ type: "error", error: { type: "invalid_request_error" } });
  });

  test("OPTIONS on a routed path (a browser's CORS preflight) → 204 with Allow and no CORS headers, audited; elsewhere 404", async () => {
    const preflight = await fetch(`${gw.url}/v1/chat/completions`, {
      method: "OPTIONS",
      headers: {
        origin: "https://app.example",
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, content-type",
      },
    });
    expect([preflight.status, preflight.headers.get("allow"), await preflight.text()]).toEqual([
      204,
      "POST, OPTIONS",
      "",
    ]);
    // CORS is off: a browser on another origin is not let through (docs/SECURITY.md).
    expect([...preflight.headers.keys()].filter((name) => name.startsWith("access-control-"))).toEqual([]);
    const row = await auditRow(gw, preflight.headers.get("x-request-id") ?? "");
    expect([row.status, row.errorClass]).toEqual([204, null]);
    const listing = await fetch(`${gw.url}/v1/models`, { method: "OPTIONS" });
    expect([listing.status, listing.headers.get("allow")]).toEqual([204, "GET, HEAD, OPTIONS"]);
    await expectError(await fetch(`${gw.url}/v1/nothing`, { method: "OPTIONS" }), 404);
  });

  test("a body over server.max_body with a Content-Length → 413", async () => {
    const big = chat("m1", "x".repeat(MAX_BODY + 10));
    const before = fake.requests.length;
    const error = await expectError(await post("/v1/chat/completions", big), 413);
    expect(error.code).toBe("payload_too_large");
    expect(fake.requests.length).toBe(before);
  });

  test("a body far over the limit (past any server backstop) → the same 413", async () => {
    const huge = "x".repeat(8 * 1024 * 1024);
    const error = await expectError(await post("/v1/chat/completions", huge), 413);
    expect(error.code).toBe("payload_too_large");
  });

  test("a chunked body over the limit is refused before it is read to the end", async () => {
    let sent = 0;
    let cancelled = false;
    const piece = new TextEncoder().encode("x".repeat(16 * 1024));
    // Far more than the limit, and it only ends when the reader gives up on it.
    const endless = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"model":"m1","messages":[{"role":"user","content":"'));
      },
      async pull(controller) {
        if (sent > 64 * MAX_BODY) {
          await Bun.sleep(50); // stimulus: never closes; a gateway that reads to the end would hang
          return;
        }
        sent += piece.byteLength;
        controller.enqueue(piece);
      },
      cancel() {
        cancelled = true;
      },
    });
    const abort = AbortSignal.timeout(15_000);
    const response = await fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${gw.adminKey}`, "content-type": "application/json" },
      body: endless,
      signal: abort,
    });
    const error = await expectError(response, 413);
    expect(error.code).toBe("payload_too_large");
    expect(cancelled || sent < 64 * MAX_BODY).toBe(true);
  });
});

describe("the upstream fails", () => {
  test("upstream 5xx after the retries: relayed as sent to a same-dialect caller", async () => {
    const before = fake.requests.length;
    const error = await expectError(
      await post("/v1/chat/completions", chat("flaky", "[[fake:status=500]] hi")),
      500,
    );
    expect(error.type).toBe("server_error");
    expect(seenFor("flaky", before)).toHaveLength(2);
    const thrown = await openaiFailure(
      client.chat.completions.create({
        model: "flaky",
        messages: [{ role: "user", content: "[[fake:status=503]] hi" }],
        stream: true,
      }),
    );
    expect(thrown).toBeInstanceOf(OpenAI.APIError);
    expect(thrown.status).toBe(503);
  });

  test("upstream 4xx is relayed with its status and not retried", async () => {
    for (const status of [400, 422]) {
      const before = fake.requests.length;
      const error = await expectError(
        await post("/v1/chat/completions", chat("flaky", `[[fake:status=${status}]] hi`)),
        status,
      );
      expect(error.message).toContain(`status ${status}`);
      expect(seenFor("flaky", before)).toHaveLength(1);
    }
  });

  test("first-byte timeout → 504, stream and non-stream", async () => {
    const error = await expectError(
      await post("/v1/chat/completions", chat("slow", "[[fake:ttfb=5000]] hi")),
      504,
    );
    expect(error.code).toBe("upstream_timeout");
    await expectError(
      await post("/v1/chat/completions", chat("slow", "[[fake:ttfb=5000]] hi", { stream: true })),
      504,
    );
  });

  test("an SSE line that never ends, before the first event: cut off, 502, upstream closed", async () => {
    const before = fake.requests.length;
    const response = await post(
      "/v1/chat/completions",
      chat("long-lines", "[[fake:endless-line=0]] hi", { stream: true }),
    );
    await expectError(response, 502);
    const seen = seenFor("long-lines", before);
    expect(seen.length).toBeGreaterThan(0);
    for (const request of seen) expect(await request.settled).toBe("aborted");
  });

  test("an SSE line that never ends, mid-stream: the client gets an error, not a hang", async () => {
    const before = fake.requests.length;
    const stream = await client.chat.completions.create({
      model: "long-lines",
      messages: [{ role: "user", content: "[[fake:endless-line=2]] one two three" }],
      stream: true,
    });
    const received: string[] = [];
    const thrown = await openaiFailure(
      (async () => {
        for await (const chunk of stream) received.push(chunk.choices[0]?.delta.content ?? "");
      })(),
    );
    expect(thrown).toBeInstanceOf(OpenAI.APIError);
    expect(received.length).toBe(2);
    const [seen] = seenFor("long-lines", before);
    expect(await seen?.settled).toBe("aborted");
  });

  test("an upstream error event inside a 200 stream reaches the SDK as an error", async () => {
    const stream = await client.chat.completions.create({
      model: "m1",
      messages: [{ role: "user", content: "[[fake:stream-error=2]] one two three" }],
      stream: true,
    });
    // The first chunks arrive, then the error.
    const thrown = await openaiFailure(drained(stream));
    expect(thrown).toBeInstanceOf(OpenAI.APIError);
    expect(thrown.message).toContain("overloaded mid-stream");
  });

  test("the raw stream carries an OpenAI error chunk without internals", async () => {
    const response = await post(
      "/v1/chat/completions",
      // After the role chunk and the first text: the answer had begun, the error is its end.
      chat("long-lines", "[[fake:endless-line=2]] hi", { stream: true }),
    );
    expect(response.status).toBe(200);
    expect(response.headers.get("x-request-id")).toMatch(/^req_/);
    const text = await response.text();
    expectNoInternals(text);
    const last = text.trim().split("\n\n").at(-1) ?? "";
    const body = JSON.parse(last.replace(/^data: /, "")) as OpenAIErrorBody;
    expect(body.error.message).toContain(String(MAX_SSE_LINE));
  });
});

describe("x-request-id on every kind of answer", () => {
  test("4xx, 5xx, 404 route, and a caller's own id echoed on an error", async () => {
    const own = { "x-request-id": "client-7f3a" };
    const bad = await post("/v1/chat/completions", "{", own);
    expect(bad.headers.get("x-request-id")).toBe("client-7f3a");
    const unauthorised = await fetch(`${gw.url}/v1/models`);
    await expectError(unauthorised, 401);
    const upstream = await post("/v1/chat/completions", chat("flaky", "[[fake:status=500]] x"), own);
    expect(upstream.status).toBe(500);
    expect(upstream.headers.get("x-request-id")).toBe("client-7f3a");
    const route = await fetch(`${gw.url}/nowhere`, { headers: own });
    expect(route.status).toBe(404);
    expect(route.headers.get("x-request-id")).toBe("client-7f3a");
    for (const probe of ["/healthz", "/readyz"]) {
      const answer = await fetch(`${gw.url}${probe}`);
      expect(answer.status).toBe(200);
      expect(answer.headers.get("x-request-id")).toMatch(/^req_/);
    }
  });
});
