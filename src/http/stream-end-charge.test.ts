import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AuditRecord } from "../audit/audit-record.ts";
import { EMBEDDED_DEFAULTS, parseConfig } from "../config/load-config.ts";
import type { Gateway } from "../gateway/create-gateway.ts";
import { FIFTEEN_TOKEN_STREAM, fifteenTokenAnswer } from "../testing/openai-usage-answer.ts";
import { recordingGateway } from "../testing/recording-gateway.ts";
import { waitForValue } from "../testing/wait-for.ts";

// A stream's tokens count against the caller's limits as the bytes holding its end marker leave,
// through the real pipeline over a socket: not once the upstream closes its body, which may come
// later (a separate read, a server slow to end it). A client that stops at `[DONE]`, as the SDKs
// do, and asks again at once is held to its tokens per minute; and the stream's end, when the body
// closes, charges nothing more. So on both ways a stream is answered: relayed as its first token
// came, or with keep-alive comments before it (its first token slower than `stream_keepalive`).

const WHOLE = fifteenTokenAnswer("m");
/** Long enough that the upstream's first answer comes before it unless held back (model `slow`). */
const KEEPALIVE = "500ms";

let dir: string;
let gateway: Gateway;
let finished: AuditRecord[];
let upstream: ReturnType<typeof Bun.serve>;
let adminKey = "";
let gatewayUrl = "";
/** Ends the bodies the upstream holds open after their end marker. */
const holding: (() => void)[] = [];
/** Lets the upstream answer the `slow` streams it holds back. */
const heldBack: (() => void)[] = [];

const chat = (key: string, stream: boolean, model = "m") =>
  fetch(`${gatewayUrl}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: JSON.stringify({
      model,
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
      const { stream, model } = (await request.json()) as { stream?: boolean; model: string };
      if (!stream) return Response.json(WHOLE);
      // A slow first token: the answer waits until the test has seen the gateway keep the client alive.
      if (model === "slow") await new Promise<void>((resolve) => heldBack.push(resolve));
      // The whole answer, its end marker included, and the body left open until the test ends it.
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode(FIFTEEN_TOKEN_STREAM));
          holding.push(() => controller.close());
        },
      });
      return new Response(body, { headers: { "content-type": "text/event-stream" } });
    },
  });
  dir = mkdtempSync(join(tmpdir(), "mindgw-stream-end-charge-"));
  const up = `http://127.0.0.1:${upstream.port}/v1`;
  const config = parseConfig({
    ...EMBEDDED_DEFAULTS,
    storage: { path: join(dir, "gw.db") },
    routing: { stream_keepalive: KEEPALIVE },
    providers: [{ name: "up", type: "openai", base_url: up }],
    models: [
      { name: "m", routes: [{ provider: "up", model: "m" }] },
      { name: "slow", routes: [{ provider: "up", model: "slow" }] },
    ],
  });
  ({ gateway, adminKey, finished } = await recordingGateway(config));
  gatewayUrl = `http://127.0.0.1:${gateway.listen("127.0.0.1", 0).port}`;
});

afterAll(async () => {
  for (const answer of heldBack) answer();
  for (const end of holding) end();
  await gateway.stop();
  upstream.stop(true);
  rmSync(dir, { recursive: true, force: true });
});

async function keyWith(name: string, tpm: number): Promise<string> {
  const created = await fetch(`${gatewayUrl}/admin/api/keys`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${adminKey}` },
    body: JSON.stringify({ name, tpm }),
  });
  return ((await created.json()) as { key: string }).key;
}

/**
 * A stream of `model` read up to its `[DONE]`, its upstream's body still open: `end` closes that
 * body and resolves once the gateway has recorded the stream's end.
 */
async function streamedToDone(key: string, model: string) {
  const streamed = await chat(key, true, model);
  expect(streamed.status).toBe(200);
  const reader = (streamed.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = "";
  /** Reads until `seen` has come, or to the body's end (undefined). */
  const readUntil = async (seen?: string) => {
    while (seen === undefined || !text.includes(seen)) {
      const read = await reader.read();
      if (read.done) break;
      text += decoder.decode(read.value, { stream: true });
    }
  };
  if (model === "slow") {
    // Kept alive before its first token (keptAliveResponse): only then does the upstream answer.
    await readUntil(": keep-alive");
    expect(text).toStartWith(": keep-alive");
    for (const answer of heldBack.splice(0)) answer();
  }
  await readUntil("data: [DONE]");
  expect(text).toContain('"total_tokens":15');
  const ended = finished.length;
  return {
    async end() {
      for (const close of holding.splice(0)) close();
      await readUntil();
      await waitForValue("the stream's request to end", () =>
        finished.slice(ended).some((record) => record.stream === true),
      );
    },
  };
}

/** The tokens a key has left in its minute after a non-stream request, whose own 15 its headers count. */
async function tokensLeftAsked(key: string): Promise<number> {
  const answer = await chat(key, false);
  expect(answer.status).toBe(200);
  await answer.json();
  return Number(answer.headers.get("x-ratelimit-remaining-tokens"));
}

for (const [path, model] of [
  ["relayed as its first token came", "m"],
  ["kept alive before its first token", "slow"],
] as const) {
  describe(`a stream ${path}`, () => {
    test("a client that asks again as soon as it has the stream's [DONE] finds its tokens counted, its upstream's body still open", async () => {
      const key = await keyWith(`one-stream-${model}`, 15);
      const stream = await streamedToDone(key, model);
      // The SDKs stop reading here and send the next request.
      const next = await chat(key, false);
      expect(next.status).toBe(429);
      expect(((await next.json()) as { error: { message: string } }).error.message).toContain(
        "tokens per minute",
      );
      await stream.end();
    });

    test("its end, once the upstream closes the body, charges nothing more: the key has used 15 tokens, not 30", async () => {
      const key = await keyWith(`charged-once-${model}`, 1000);
      const stream = await streamedToDone(key, model);
      const atDone = await tokensLeftAsked(key);
      expect(atDone).toBe(1000 - 15 - 15);
      await stream.end();
      // The request asked at [DONE] used its own 15; the stream's end, none.
      expect(await tokensLeftAsked(key)).toBe(atDone - 15);
    });
  });
}
