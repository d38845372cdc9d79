import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { EMBEDDED_DEFAULTS, parseConfig } from "../config/load-config.ts";
import type { Gateway } from "../gateway/create-gateway.ts";
import { recordingGateway } from "../testing/recording-gateway.ts";

// A file by URL (a Responses `input_file` with `file_url`, a chat `file` part with the gateway's
// own `file_url`) on a route to Anthropic: Messages takes a PDF by URL as a `document` block with a
// `url` source, which Anthropic fetches, so the file goes, not left out.

const PDF = "https://example.com/report.pdf";
let gateway: Gateway;
let upstream: ReturnType<typeof Bun.serve>;
let adminKey = "";
const sent: { messages: { content: unknown }[] }[] = [];

beforeAll(async () => {
  const answer = readFileSync(join(import.meta.dir, "../translate/fixtures/anthropic/message-text.json"));
  upstream = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      sent.push((await request.json()) as (typeof sent)[number]);
      return new Response(answer, { headers: { "content-type": "application/json" } });
    },
  });
  const config = parseConfig({
    ...EMBEDDED_DEFAULTS,
    storage: { path: ":memory:" },
    providers: [
      { name: "an", type: "anthropic", base_url: `http://127.0.0.1:${upstream.port}`, api_key: "k" },
    ],
    models: [{ name: "claude", routes: [{ provider: "an", model: "c" }] }],
    routing: { retries: 0 },
  });
  ({ gateway, adminKey } = await recordingGateway(config));
});

afterAll(async () => {
  await gateway.stop();
  upstream.stop(true);
});

const post = (path: string, body: object) =>
  gateway.handle(
    new Request(`http://localhost${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${adminKey}` },
      body: JSON.stringify({ model: "claude", ...body }),
    }),
  );

const DOCUMENT = { type: "document", source: { type: "url", url: PDF } };

test("Responses input_file by file_url: a document block by URL, nothing named dropped", async () => {
  const answer = await post("/v1/responses", {
    input: [
      {
        role: "user",
        content: [
          { type: "input_text", text: "Sum it up" },
          { type: "input_file", file_url: PDF },
        ],
      },
    ],
  });
  expect(answer.status).toBe(200);
  expect(answer.headers.get("x-mindgw-dropped")).toBeNull();
  await answer.arrayBuffer();
  expect(sent.at(-1)?.messages[0]?.content).toEqual([{ type: "text", text: "Sum it up" }, DOCUMENT]);
});

test("chat file part by file_url: the same document block", async () => {
  const answer = await post("/v1/chat/completions", {
    messages: [
      {
        role: "user",
        content: [
          { type: "text", text: "Sum it up" },
          { type: "file", file: { file_url: PDF } },
        ],
      },
    ],
  });
  expect(answer.status).toBe(200);
  expect(answer.headers.get("x-mindgw-dropped")).toBeNull();
  await answer.arrayBuffer();
  expect(sent.at(-1)?.messages[0]?.content).toEqual([{ type: "text", text: "Sum it up" }, DOCUMENT]);
});
