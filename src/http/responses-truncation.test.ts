import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { EMBEDDED_DEFAULTS, parseConfig } from "../config/load-config.ts";
import type { Gateway } from "../gateway/create-gateway.ts";
import { recordingGateway } from "../testing/recording-gateway.ts";

// A Responses caller's `truncation` on a route the gateway translates (here to Anthropic
// Messages): the `response` object echoes what the caller sent, "disabled" when it sent none, as
// OpenAI's does (openai-node's `Response.truncation`): whole, and in `response.created` and
// `response.completed` of a stream.

const fixtures = join(import.meta.dir, "../translate/fixtures/anthropic");
let gateway: Gateway;
let upstream: ReturnType<typeof Bun.serve>;
let adminKey = "";

beforeAll(async () => {
  upstream = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      const { stream } = (await request.json()) as { stream?: boolean };
      if (stream)
        return new Response(readFileSync(join(fixtures, "message-text.sse.txt")), {
          headers: { "content-type": "text/event-stream" },
        });
      return new Response(readFileSync(join(fixtures, "message-text.json")), {
        headers: { "content-type": "application/json" },
      });
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

const ask = (fields: object) =>
  gateway.handle(
    new Request("http://localhost/v1/responses", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${adminKey}` },
      body: JSON.stringify({ model: "claude", input: "hi", ...fields }),
    }),
  );

/** The `truncation` of each `response` the caller read: the whole one, or each event's. */
async function echoed(fields: object): Promise<unknown[]> {
  const answer = await ask(fields);
  expect(answer.status).toBe(200);
  const text = await answer.text();
  if (!("stream" in fields)) return [(JSON.parse(text) as { truncation: unknown }).truncation];
  return text
    .split("\n")
    .filter((line) => line.startsWith("data: "))
    .map((line) => JSON.parse(line.slice(6)) as { type: string; response?: { truncation: unknown } })
    .filter((event) => event.type === "response.created" || event.type === "response.completed")
    .map((event) => event.response?.truncation);
}

test("truncation: the caller's, whole and streamed; none sent (or null) is disabled", async () => {
  expect(await echoed({ truncation: "auto" })).toEqual(["auto"]);
  expect(await echoed({ truncation: "auto", stream: true })).toEqual(["auto", "auto"]);
  expect(await echoed({ truncation: "disabled", stream: true })).toEqual(["disabled", "disabled"]);
  expect(await echoed({})).toEqual(["disabled"]);
  expect(await echoed({ truncation: null })).toEqual(["disabled"]);
});
