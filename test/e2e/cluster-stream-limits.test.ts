/**
 * A stream's tokens on a cluster: two `mindgw serve` nodes on one PostgreSQL and one Redis, and an
 * upstream that keeps its stream's body open after the end marker (its end a read later, or
 * more). A client that stops at `[DONE]`, as the SDKs do, and sends its next request to the other
 * node at once must find the stream's tokens counted in the shared tokens-per-minute window.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { createKey } from "./harness/admin-api.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { chatAt } from "./harness/node-load.ts";
import { startPostgres } from "./harness/postgres-server.ts";
import { startRedis } from "./harness/redis-server.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";

const USAGE = '{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15}';
const STREAM =
  'data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"hi"}}]}\n\n' +
  'data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n' +
  `data: {"id":"c1","object":"chat.completion.chunk","choices":[],"usage":${USAGE}}\n\n` +
  "data: [DONE]\n\n";
const WHOLE = {
  id: "c2",
  object: "chat.completion",
  created: 1,
  model: "held",
  choices: [{ index: 0, message: { role: "assistant", content: "hi" }, finish_reason: "stop" }],
  usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
};

/** Ends the stream bodies the upstream holds open after their end marker. */
const holding: (() => void)[] = [];
const upstream = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  async fetch(request) {
    const { stream } = (await request.json()) as { stream?: boolean };
    if (!stream) return Response.json(WHOLE);
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(STREAM));
        holding.push(() => controller.close());
      },
    });
    return new Response(body, { headers: { "content-type": "text/event-stream" } });
  },
});
afterAll(() => {
  for (const end of holding.splice(0)) end();
  upstream.stop(true);
});

let nodes: GatewayProcess[] = [];
let adminKey = "";
const fx = gatewayFixture({ fake: null, gateway: false });

beforeAll(async () => {
  const [postgres, redis] = await Promise.all([startPostgres().then(fx.own), startRedis().then(fx.own)]);
  const databaseUrl = await postgres.createDatabase("stream_limits");
  const extra = {
    providers: [{ name: "held", type: "openai", base_url: `http://127.0.0.1:${upstream.port}/v1` }],
    models: [{ name: "held", routes: [{ provider: "held", model: "held" }] }],
  };
  const start = (name: string) => fx.startNode({ name, databaseUrl, redisUrl: redis.url, extra });
  const first = await start("node-a");
  adminKey = first.adminKey ?? "";
  nodes = [first, await start("node-b")];
}, 90_000);

test("a client that stops at a stream's [DONE] on one node and asks the other at once is refused by the shared tpm, its upstream's body still open", async () => {
  const { key } = await createKey({ url: nodes[0]!.url, adminKey }, { name: "one-stream", tpm: 15 });
  const streamed = await fetch(`${nodes[0]!.url}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({
      model: "held",
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: "user", content: "hi" }],
    }),
  });
  expect(streamed.status).toBe(200);
  const reader = streamed.body!.getReader();
  const decoder = new TextDecoder();
  let text = "";
  while (!text.includes("data: [DONE]")) {
    const read = await reader.read();
    if (read.done) break;
    text += decoder.decode(read.value, { stream: true });
  }
  expect(text).toContain('"total_tokens":15');
  const next = await chatAt(nodes[1]!.url, key, { model: "held" });
  expect(next.status).toBe(429);
  expect(((await next.json()) as { error: { message: string } }).error.message).toContain(
    "tokens per minute",
  );
  for (const end of holding.splice(0)) end();
  await reader.cancel();
}, 30_000);
