import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AuditRecord } from "../audit/audit-record.ts";
import { EMBEDDED_DEFAULTS, parseConfig } from "../config/load-config.ts";
import { recordingGateway, recordOf } from "../testing/recording-gateway.ts";
import type { Gateway } from "./create-gateway.ts";

// Requests still in flight when a stop's drain deadline passes are ended, each told why: a call
// whose answer has not begun gets the drain's 503 with when and whether to come back, as a request
// refused while the gateway drains does (http/refusal-error.ts), so the SDKs send it again
// elsewhere after the load balancer has seen /readyz turn; a stream under way, its error event.

const CHUNK =
  'data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"hi"}}]}\n\n';

let dir: string;
let gateway: Gateway;
let upstream: ReturnType<typeof Bun.serve>;
let adminKey = "";
let finished: AuditRecord[] = [];
let url = "";
/** Resolved as each call reaches the upstream, which never ends its answer. */
const arrived: Record<string, () => void> = {};
const reached = (model: string) =>
  new Promise<void>((resolve) => {
    arrived[model] = resolve;
  });

beforeAll(async () => {
  upstream = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: 0,
    async fetch(request) {
      const { model } = (await request.json()) as { model: string };
      arrived[model]?.();
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          // The stream's first chunk, then nothing: the whole answer, nothing at all.
          if (model === "stream") controller.enqueue(new TextEncoder().encode(CHUNK));
        },
      });
      const type = model === "stream" ? "text/event-stream" : "application/json";
      return new Response(body, { headers: { "content-type": type } });
    },
  });
  dir = mkdtempSync(join(tmpdir(), "mindgw-drain-deadline-"));
  const route = (model: string) => ({ name: model, routes: [{ provider: "up", model }] });
  const config = parseConfig({
    ...EMBEDDED_DEFAULTS,
    server: { drain_timeout: "100ms" },
    storage: { path: join(dir, "gw.db") },
    providers: [{ name: "up", type: "openai", base_url: `http://127.0.0.1:${upstream.port}/v1` }],
    models: [route("whole"), route("stream")],
    routing: { retries: 0, timeouts: { first_byte: "1h", idle: "1h" } },
  });
  ({ gateway, adminKey, finished } = await recordingGateway(config));
  url = `http://127.0.0.1:${gateway.listen("127.0.0.1", 0).port}`;
});

afterAll(() => {
  upstream.stop(true);
  rmSync(dir, { recursive: true, force: true });
});

const chat = (model: string, stream: boolean) =>
  fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${adminKey}` },
    body: JSON.stringify({ model, stream, messages: [{ role: "user", content: "hi" }] }),
  });

test("at the drain deadline: a call not yet answered gets the drain's 503 with Retry-After and x-should-retry, a stream under way its error event", async () => {
  const wholeReached = reached("whole");
  const streamReached = reached("stream");
  const whole = chat("whole", false);
  const stream = await chat("stream", true);
  expect(stream.status).toBe(200);
  await Promise.all([wholeReached, streamReached]);
  const stopped = gateway.stop();
  const [cut, text] = await Promise.all([whole, stream.text()]);
  await stopped;

  expect(cut.status).toBe(503);
  expect(cut.headers.get("retry-after")).toBe("5");
  expect(cut.headers.get("x-should-retry")).toBe("true");
  const body = (await cut.json()) as { error: { message: string } };
  expect(body.error.message).toContain("drain deadline passed");
  expect((await recordOf(finished, cut)).status).toBe(503);

  expect(text.startsWith(CHUNK)).toBe(true);
  expect(text).toContain("drain deadline passed");
  expect((await recordOf(finished, stream)).status).toBe(503);
});
