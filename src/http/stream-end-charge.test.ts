import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EMBEDDED_DEFAULTS, parseConfig } from "../config/load-config.ts";
import type { Gateway } from "../gateway/create-gateway.ts";
import { recordingGateway } from "../testing/recording-gateway.ts";

// A stream's tokens count against the caller's limits as the bytes holding its end marker leave,
// through the real pipeline over a socket: not once the upstream closes its body, which may come
// later (a separate read, a server slow to end it). A client that stops at `[DONE]`, as the SDKs
// do, and asks again at once is held to its tokens per minute.

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
  model: "m",
  choices: [{ index: 0, message: { role: "assistant", content: "hi" }, finish_reason: "stop" }],
  usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
};

let dir: string;
let gateway: Gateway;
let upstream: ReturnType<typeof Bun.serve>;
let adminKey = "";
let gatewayUrl = "";
/** Ends the bodies the upstream holds open after their end marker. */
const holding: (() => void)[] = [];

const chat = (key: string, stream: boolean) =>
  fetch(`${gatewayUrl}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: JSON.stringify({
      model: "m",
      stream,
      ...(stream ? { stream_options: { include_usage: true } } : {}),
      messages: [{ role: "user", content: "hi" }],
    }),
  });

beforeAll(async () => {
  upstream = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      const { stream } = (await request.json()) as { stream?: boolean };
      if (!stream) return Response.json(WHOLE);
      // The whole answer, its end marker included, and the body left open until the test ends it.
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode(STREAM));
          holding.push(() => controller.close());
        },
      });
      return new Response(body, { headers: { "content-type": "text/event-stream" } });
    },
  });
  dir = mkdtempSync(join(tmpdir(), "mindgw-stream-end-charge-"));
  const config = parseConfig({
    ...EMBEDDED_DEFAULTS,
    storage: { path: join(dir, "gw.db") },
    providers: [{ name: "up", type: "openai", base_url: `http://127.0.0.1:${upstream.port}/v1` }],
    models: [{ name: "m", routes: [{ provider: "up", model: "m" }] }],
  });
  ({ gateway, adminKey } = await recordingGateway(config));
  gatewayUrl = `http://127.0.0.1:${gateway.listen("127.0.0.1", 0).port}`;
});

afterAll(async () => {
  for (const end of holding) end();
  await gateway.stop();
  upstream.stop(true);
  rmSync(dir, { recursive: true, force: true });
});

test("a client that asks again as soon as it has a stream's [DONE] finds the stream's tokens counted, its upstream's body still open", async () => {
  const created = await fetch(`${gatewayUrl}/admin/api/keys`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${adminKey}` },
    body: JSON.stringify({ name: "one-stream", tpm: 15 }),
  });
  const { key } = (await created.json()) as { key: string };
  const streamed = await chat(key, true);
  expect(streamed.status).toBe(200);
  const reader = (streamed.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = "";
  while (!text.includes("data: [DONE]")) {
    const read = await reader.read();
    if (read.done) break;
    text += decoder.decode(read.value, { stream: true });
  }
  expect(text).toContain('"total_tokens":15');
  // The SDKs stop reading here and send the next request.
  const next = await chat(key, false);
  expect(next.status).toBe(429);
  expect(((await next.json()) as { error: { message: string } }).error.message).toContain(
    "tokens per minute",
  );
  for (const end of holding.splice(0)) end();
  await reader.cancel();
});
