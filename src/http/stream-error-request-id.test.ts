import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EMBEDDED_DEFAULTS, parseConfig } from "../config/load-config.ts";
import type { Gateway } from "../gateway/create-gateway.ts";
import { recordingGateway } from "../testing/recording-gateway.ts";

// An Anthropic upstream's error event mid-stream that names the account is relayed without it and
// without the upstream's `request_id` (core/scrub-account.ts); the caller's event names the
// gateway's request instead, as a whole error body rewritten so does (http/error-body.ts).

const OPENING =
  'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-x","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":3,"output_tokens":1}}}\n\n' +
  'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\n' +
  'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hel"}}\n\n';
const UPSTREAM_ID = "req_011CbrFTcXhtiMzr3s6EocF7";
const OVERLOADED = `event: error\ndata: ${JSON.stringify({
  type: "error",
  error: {
    type: "overloaded_error",
    message:
      "Your organization (3f2c9a1e-7b4d-4e8a-9c1f-2d6b8e0a5c73) is over its capacity for this model; please try again later.",
  },
  request_id: UPSTREAM_ID,
})}\n\n`;

let dir: string;
let gateway: Gateway;
let upstream: ReturnType<typeof Bun.serve>;
let adminKey = "";
let url = "";

beforeAll(async () => {
  upstream = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: () => new Response(OPENING + OVERLOADED, { headers: { "content-type": "text/event-stream" } }),
  });
  dir = mkdtempSync(join(tmpdir(), "mindgw-stream-error-request-id-"));
  const config = parseConfig({
    ...EMBEDDED_DEFAULTS,
    storage: { path: join(dir, "gw.db") },
    providers: [
      { name: "an", type: "anthropic", base_url: `http://127.0.0.1:${upstream.port}`, api_key: "k" },
    ],
    models: [{ name: "claude", routes: [{ provider: "an", model: "claude-x" }] }],
    routing: { retries: 0 },
  });
  ({ gateway, adminKey } = await recordingGateway(config));
  url = `http://127.0.0.1:${gateway.listen("127.0.0.1", 0).port}`;
});

afterAll(async () => {
  await gateway.stop();
  upstream.stop(true);
  rmSync(dir, { recursive: true, force: true });
});

test("an Anthropic error event naming the account after message_start names the gateway's request id", async () => {
  const response = await fetch(`${url}/v1/messages`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": adminKey },
    body: JSON.stringify({
      model: "claude",
      stream: true,
      max_tokens: 16,
      messages: [{ role: "user", content: "hi" }],
    }),
  });
  expect(response.status).toBe(200);
  const gatewayId = response.headers.get("request-id");
  expect(gatewayId).toBeString();
  const text = await response.text();
  const data = text.split("event: error\ndata: ")[1]?.split("\n")[0] ?? "";
  const event = JSON.parse(data) as { error: { type: string; message: string }; request_id?: string };
  expect(event.error.type).toBe("overloaded_error");
  expect(event.error.message).not.toContain("3f2c9a1e");
  expect(text).not.toContain(UPSTREAM_ID);
  expect(event.request_id).toBe(gatewayId ?? "");
});
