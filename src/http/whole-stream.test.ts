import { afterAll, beforeAll, describe, expect, spyOn, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AuditRecord } from "../audit/audit-record.ts";
import { EMBEDDED_DEFAULTS, parseConfig } from "../config/load-config.ts";
import type { Gateway } from "../gateway/create-gateway.ts";
import { recordingGateway } from "../testing/recording-gateway.ts";
import { waitForValue } from "../testing/wait-for.ts";

// A stream whose whole answer arrives in one upstream read, its end with it (a burst upstream's),
// through the real pipeline: answered as a non-stream answer is.
const USAGE = '{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}';
const ANSWER =
  'data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"hi"}}]}\n\n' +
  `data: {"id":"c1","object":"chat.completion.chunk","choices":[],"usage":${USAGE}}\n\n` +
  "data: [DONE]\n\n";
const FAILING =
  'data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"hi"}}]}\n\n' +
  'data: {"error":{"message":"overloaded","type":"server_error"}}\n\n';

let dir: string;
let gateway: Gateway;
let upstream: ReturnType<typeof Bun.serve>;
let adminKey = "";
let finished: AuditRecord[] = [];

let gatewayUrl = "";
// Over a socket: what Bun puts on the wire (a length, or chunked framing) is what is asserted.
const chat = (model: string) =>
  fetch(`${gatewayUrl}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${adminKey}` },
    body: JSON.stringify({
      model,
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: "user", content: "hi" }],
    }),
  });

const rowOf = (response: Response) => {
  const id = response.headers.get("x-request-id") ?? "";
  return waitForValue(`the audit row of ${id}`, () => finished.find((r) => r.requestId === id));
};

beforeAll(async () => {
  // The whole stream in one write, with its length: the gateway's first read holds its end.
  upstream = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      const { model } = (await request.json()) as { model: string };
      return new Response(model === "failing" ? FAILING : ANSWER, {
        headers: { "content-type": "text/event-stream" },
      });
    },
  });
  dir = mkdtempSync(join(tmpdir(), "mindgw-whole-stream-"));
  const config = parseConfig({
    ...EMBEDDED_DEFAULTS,
    storage: { path: join(dir, "gw.db") },
    providers: [{ name: "fake", type: "openai", base_url: `http://127.0.0.1:${upstream.port}/v1` }],
    models: [
      { name: "whole", routes: [{ provider: "fake", model: "whole" }] },
      { name: "failing", routes: [{ provider: "fake", model: "failing" }] },
    ],
  });
  ({ gateway, adminKey, finished } = await recordingGateway(config));
  const address = gateway.listen("127.0.0.1", 0);
  gatewayUrl = `http://127.0.0.1:${address.port}`;
});

afterAll(async () => {
  await gateway.stop();
  upstream.stop(true);
  rmSync(dir, { recursive: true, force: true });
});

describe("a stream whole in its first read", () => {
  test("goes out as a byte body with its length and the event stream's headers, usage counted", async () => {
    const response = await chat("whole");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    expect(response.headers.get("cache-control")).toBe("no-cache");
    expect(response.headers.get("x-accel-buffering")).toBe("no");
    // A byte body, not a stream: Bun sends it with its length, no chunked framing.
    expect(response.headers.get("content-length")).toBe(String(ANSWER.length));
    expect(response.headers.get("transfer-encoding")).toBeNull();
    expect(await response.text()).toBe(ANSWER);
    const row = await rowOf(response);
    expect(row.status).toBe(200);
    expect(row.stream).toBe(true);
    expect(row.inputTokens).toBe(3);
    expect(row.outputTokens).toBe(2);
  });

  test("times its first byte and its end as one moment", async () => {
    // A clock that moves on every read: the two agree only if one read times both.
    let now = 1_000;
    const clock = spyOn(performance, "now").mockImplementation(() => now++);
    let response: Response;
    try {
      response = await chat("whole");
    } finally {
      clock.mockRestore();
    }
    const row = await rowOf(response);
    expect(row.ttfbMs).toBeGreaterThan(0);
    expect(row.latencyMs).toBe(row.ttfbMs as number);
  });

  test("an error event in it leaves HTTP 200 and a record that says the stream failed", async () => {
    const response = await chat("failing");
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(FAILING);
    const row = await rowOf(response);
    expect(row.status).toBe(502);
    expect(row.errorClass).toBe("upstream_error");
  });
});
