import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EMBEDDED_DEFAULTS, parseConfig } from "../config/load-config.ts";
import type { Gateway } from "../gateway/create-gateway.ts";
import { recordingGateway } from "../testing/recording-gateway.ts";

// `stream: true` on an operation that never streams, through the real pipeline: a fake upstream
// that answers JSON whatever it is sent (as vLLM, Ollama and TEI do) is every such call's answer,
// never a stream request answered whole (a 502 counted towards the route's breaker, which here
// opens at the first failure).

/** Each operation's whole answer, by upstream path. */
const ANSWERS: Record<string, object> = {
  "/v1/embeddings": {
    object: "list",
    data: [{ object: "embedding", index: 0, embedding: [0.5, 0.25] }],
    model: "e",
    usage: { prompt_tokens: 1, total_tokens: 1 },
  },
  "/v1/messages/count_tokens": { input_tokens: 7 },
  "/v1/responses/compact": {
    id: "resp_1",
    object: "response.compaction",
    created_at: 0,
    output: [{ type: "compaction", id: "cmp_1", encrypted_content: "x" }],
    usage: { input_tokens: 3, output_tokens: 1, total_tokens: 4 },
  },
};

let dir: string;
let gateway: Gateway;
let upstream: ReturnType<typeof Bun.serve>;
let adminKey = "";
const received: { path: string; body: Record<string, unknown> }[] = [];

beforeAll(async () => {
  upstream = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      const { pathname } = new URL(request.url);
      received.push({ path: pathname, body: (await request.json()) as Record<string, unknown> });
      const answer = ANSWERS[pathname];
      return answer ? Response.json(answer) : new Response("not found", { status: 404 });
    },
  });
  dir = mkdtempSync(join(tmpdir(), "mindgw-whole-only-"));
  const base = `http://127.0.0.1:${upstream.port}`;
  const config = parseConfig({
    ...EMBEDDED_DEFAULTS,
    storage: { path: join(dir, "gw.db") },
    providers: [
      { name: "oa", type: "openai", base_url: `${base}/v1`, responses_api: true },
      { name: "an", type: "anthropic", base_url: base, api_key: "k" },
    ],
    models: [
      { name: "emb", routes: [{ provider: "oa", model: "e" }] },
      { name: "gpt", routes: [{ provider: "oa", model: "g" }] },
      { name: "claude", routes: [{ provider: "an", model: "c" }] },
    ],
    routing: { retries: 0, circuit_breaker: { failures: 1, cooldown: "1h" } },
  });
  ({ gateway, adminKey } = await recordingGateway(config));
});

afterAll(async () => {
  await gateway.stop();
  upstream.stop(true);
  rmSync(dir, { recursive: true, force: true });
});

const post = (path: string, body: object, headers: Record<string, string> = {}) =>
  gateway.handle(
    new Request(`http://localhost${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${adminKey}`, ...headers },
      body: JSON.stringify(body),
    }),
  );

test("embeddings, count_tokens and a compaction with stream: true answer JSON, upstream is sent no stream field, and the route stays in service", async () => {
  const anthropic = { "anthropic-version": "2023-06-01" };
  const messages = [{ role: "user", content: "hi" }];
  // The call, and its upstream model.
  const calls: [string, object, string, Record<string, string>?][] = [
    ["/v1/embeddings", { model: "emb", input: "x", dimensions: 2 }, "e"],
    ["/v1/messages/count_tokens", { model: "claude", messages }, "c", anthropic],
    ["/v1/responses/compact", { model: "gpt", input: "hi" }, "g"],
  ];
  for (const [path, body, upstreamModel, headers] of calls) {
    // Three times: with the breaker at one failure, a second call would be its 503 had the first failed.
    for (let i = 0; i < 3; i++) {
      const answer = await post(path, { ...body, stream: true }, headers);
      expect(answer.status).toBe(200);
      expect(answer.headers.get("content-type")).toStartWith("application/json");
      expect(await answer.json()).toEqual(ANSWERS[path] as object);
    }
    // Everything else the caller sent goes on.
    const sent = received.filter((request) => request.path === path).map((request) => request.body);
    expect(sent).toEqual(Array(3).fill({ ...body, model: upstreamModel }));
  }
  // The ordinary call after them is served: nothing was counted against the routes.
  const plain = await post("/v1/embeddings", { model: "emb", input: "y" });
  expect(plain.status).toBe(200);
  await plain.arrayBuffer();
});
