import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseConfig } from "../../config/load-config.ts";
import { createGateway, type Gateway } from "../../gateway/create-gateway.ts";
import { silentLogger } from "../../log/logger.ts";

// SPEC: every response carries `x-request-id`; `x-ratelimit-*` headers where limits apply; a limit
// hit is a 429 with `Retry-After`. The headers a caller's SDK reads, as the gateway really sends
// them on a model call's answer, a limit's 429 and a refusal, in either dialect, are each in the
// OpenAPI document (the one `/docs/openapi.json` serves) under that operation's answer of that status.

const dir = mkdtempSync(join(tmpdir(), "mindgw-openapi-headers-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The headers a client reads: the request id, the limits (both dialects' names) and when to retry. */
const READ_BY_CLIENTS = /^(x-request-id|retry-after|x-should-retry|x-ratelimit-|anthropic-ratelimit-)/;

interface Answer {
  headers?: Record<string, unknown>;
}
interface Document {
  paths: Record<string, Record<string, { responses: Record<string, Answer> }>>;
}

let gateway: Gateway;
let adminKey = "";
let doc: Document;

const send = (path: string, headers: Record<string, string>, body?: unknown) =>
  gateway.handle(
    new Request(`http://localhost${path}`, {
      method: body === undefined ? "GET" : "POST",
      headers: { "content-type": "application/json", ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    }),
  );

/** A key of `rpm` requests and `tpm` tokens a minute. */
async function limitedKey(name: string): Promise<string> {
  const answer = await send(
    "/admin/api/keys",
    { authorization: `Bearer ${adminKey}` },
    { name, models: ["m"], rpm: 1, tpm: 100_000 },
  );
  expect(answer.status).toBe(201);
  return ((await answer.json()) as { key: string }).key;
}

beforeAll(async () => {
  gateway = await createGateway({
    config: parseConfig({
      storage: { path: join(dir, "headers.db") },
      providers: [{ name: "demo", type: "mock" }],
      models: [{ name: "m", routes: [{ provider: "demo", model: "m" }] }],
    }),
    logger: silentLogger,
    onBootstrapKey: (key) => (adminKey = key),
  });
  doc = (await (await send("/docs/openapi.json", {})).json()) as Document;
});
afterAll(async () => {
  await gateway.stop();
});

/** The client-read headers `response` carries that the document's answer of its status to `method path` does not name. */
async function undocumented(method: string, path: string, response: Response): Promise<string[]> {
  await response.body?.cancel();
  const answer = doc.paths[path]?.[method]?.responses[String(response.status)];
  const named = Object.keys(answer?.headers ?? {}).map((name) => name.toLowerCase());
  return [...response.headers.keys()]
    .filter((name) => READ_BY_CLIENTS.test(name) && !named.includes(name))
    .map((name) => `${response.status} ${method.toUpperCase()} ${path}: ${name}`);
}

test("a model call's answer, its limit's 429 and a refusal document the headers they carry, in either dialect", async () => {
  const chat = { model: "m", messages: [{ role: "user", content: "hi" }] };
  const messages = { ...chat, max_tokens: 16 };
  const openAIKey = { authorization: `Bearer ${await limitedKey("openai")}` };
  const anthropicKey = { "x-api-key": await limitedKey("anthropic"), "anthropic-version": "2023-06-01" };
  const calls: [string, Response][] = [];
  for (const [path, headers, body] of [
    ["/v1/chat/completions", openAIKey, chat],
    ["/v1/messages", anthropicKey, messages],
  ] as const) {
    const answered = await send(path, headers, body);
    const refused = await send(path, headers, body);
    const unknown = await send(path, { authorization: "Bearer mgw_unknown" }, body);
    expect([answered.status, refused.status, unknown.status]).toEqual([200, 429, 401]);
    expect(answered.headers.get("x-ratelimit-limit-requests")).toBe("1");
    expect(refused.headers.get("retry-after")).not.toBeNull();
    calls.push([path, answered], [path, refused], [path, unknown]);
  }
  const missing: string[] = [];
  for (const [path, response] of calls) missing.push(...(await undocumented("post", path, response)));
  expect(missing).toEqual([]);
});

test("every answer the document lists names x-request-id, errors included; only a WebSocket's 101 does not", () => {
  const unnamed = Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).flatMap(([method, { responses }]) =>
      Object.entries(responses)
        .filter(([status, answer]) => status !== "101" && !answer.headers?.["x-request-id"])
        .map(([status]) => `${status} ${method.toUpperCase()} ${path}`),
    ),
  );
  expect(unnamed).toEqual([]);
});
