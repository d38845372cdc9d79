import { afterAll, beforeAll, describe, expect, spyOn, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EMBEDDED_DEFAULTS, parseConfig } from "../config/load-config.ts";
import type { Gateway } from "../gateway/create-gateway.ts";
import { recordingGateway } from "../testing/recording-gateway.ts";
import { waitForValue } from "../testing/wait-for.ts";

// How a stream sets its socket's idle bound (Bun's `server.timeout`): held as soon as its body is
// read, whatever comes before its first token, and given back before its end.
const FIRST =
  'data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"hi"}}]}\n\n';
const REST =
  'data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n' +
  "data: [DONE]\n\n";

const dir = mkdtempSync(join(tmpdir(), "mindgw-stream-socket-"));
let upstream: ReturnType<typeof Bun.serve>;
/** The paced answer's rest, sent when the test says (its first event went out at once). */
let rest: PromiseWithResolvers<void> | undefined;
const gateways: { gateway: Gateway; server: ReturnType<typeof Bun.serve> }[] = [];

beforeAll(() => {
  upstream = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      const { model } = (await request.json()) as { model: string };
      const headers = { "content-type": "text/event-stream" };
      if (model !== "paced") return new Response(FIRST + REST, { headers });
      const paced = Promise.withResolvers<void>();
      rest = paced;
      const body = new ReadableStream<Uint8Array>({
        async start(controller) {
          controller.enqueue(new TextEncoder().encode(FIRST));
          await paced.promise;
          controller.enqueue(new TextEncoder().encode(REST));
          controller.close();
        },
      });
      return new Response(body, { headers });
    },
  });
});

afterAll(async () => {
  for (const { gateway, server } of gateways) {
    server.stop(true);
    await gateway.stop();
  }
  upstream.stop(true);
  rmSync(dir, { recursive: true, force: true });
});

/** A gateway behind a server of the test's own, whose `timeout` calls (seconds) are counted. */
async function served(streamKeepAlive: string) {
  const config = parseConfig({
    ...EMBEDDED_DEFAULTS,
    storage: { path: join(dir, `gw-${gateways.length}.db`) },
    server: { idle_timeout: "30s" },
    routing: { stream_keepalive: streamKeepAlive },
    providers: [{ name: "fake", type: "openai", base_url: `http://127.0.0.1:${upstream.port}/v1` }],
    models: [
      { name: "whole", routes: [{ provider: "fake", model: "whole" }] },
      { name: "paced", routes: [{ provider: "fake", model: "paced" }] },
    ],
  });
  const { gateway, adminKey } = await recordingGateway(config);
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: (request, server) => gateway.handle(request, { server }),
  });
  gateways.push({ gateway, server });
  const timeouts = spyOn(server, "timeout");
  /** The bounds (seconds) a stream of `model` set on its socket, once its answer is read. */
  const boundsOf = async (model: string) => {
    timeouts.mockClear();
    const answer = fetch(`http://127.0.0.1:${server.port}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${adminKey}` },
      body: JSON.stringify({ model, stream: true, messages: [{ role: "user", content: "hi" }] }),
    });
    if (model === "paced") {
      // Its first event relayed, the rest still to come: then the rest.
      const response = await answer;
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      expect(new TextDecoder().decode((await reader.read()).value)).toContain('"hi"');
      (await waitForValue("the paced answer under way", () => rest)).resolve();
      rest = undefined;
      while (!(await reader.read()).done) {}
    } else {
      const response = await answer;
      expect(response.status).toBe(200);
      await response.text();
    }
    return timeouts.mock.calls.map(([, seconds]) => seconds);
  };
  return { boundsOf };
}

describe("a stream's socket bound (server.timeout)", () => {
  test.each(["15s", "0s"])(
    "stream_keepalive %s: held from the body's read (a store read or an admission may come first), and given back, answered whole or relayed",
    async (keepAlive) => {
      const { boundsOf } = await served(keepAlive);
      // Held for the attempt timeouts plus idle_timeout (120 s + 30 s), then idle_timeout again.
      expect(await boundsOf("whole")).toEqual([150, 30]);
      expect(await boundsOf("paced")).toEqual([150, 30]);
    },
  );
});
