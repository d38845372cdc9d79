import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { AuditRecord } from "../audit/audit-record.ts";
import { recordOf } from "../testing/recording-gateway.ts";
import { startUpstreamGateway, type UpstreamGateway } from "../testing/upstream-gateway.ts";

// One rule for every front door, not one status: a stream that fails once it began is recorded
// with the status the same failure before its first byte would have been answered with. An
// OpenAI upstream's `server_error` is its own 500 to a caller of OpenAI's dialect (chat, and the
// Responses API, which a chat route serves by translation), and the gateway's 502 (`api_error`)
// to a Messages caller, as the upstream's HTTP 500 across dialects is (docs/RELIABILITY.md).

const encoder = new TextEncoder();
const OPENING = `data: ${JSON.stringify({
  id: "c1",
  object: "chat.completion.chunk",
  created: 1,
  model: "m",
  choices: [{ index: 0, delta: { role: "assistant", content: "Hel" }, finish_reason: null }],
})}\n\n`;
const SERVER_ERROR = `data: ${JSON.stringify({
  error: { message: "The server had an error while processing your request.", type: "server_error" },
})}\n\n`;

let gateway: UpstreamGateway;
let adminKey = "";
let finished: AuditRecord[] = [];
let url = "";

beforeAll(async () => {
  gateway = await startUpstreamGateway(
    async (request) => {
      const { model } = (await request.json()) as { model: string };
      // `before`: the same failure as the HTTP answer, before any byte of a stream.
      if (model === "before")
        return Response.json(JSON.parse(SERVER_ERROR.slice("data: ".length)), { status: 500 });
      return new Response(encoder.encode(OPENING + SERVER_ERROR), {
        headers: { "content-type": "text/event-stream" },
      });
    },
    (upstream) => ({
      providers: [{ name: "oa", type: "openai", base_url: `${upstream}/v1` }],
      models: [
        { name: "m", routes: [{ provider: "oa", model: "m" }] },
        { name: "before", routes: [{ provider: "oa", model: "before" }] },
      ],
      routing: { retries: 0 },
    }),
  );
  ({ adminKey, finished, url } = gateway);
});

afterAll(() => gateway.stop());

const post = (path: string, body: object, model = "m") =>
  fetch(`${url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${adminKey}` },
    body: JSON.stringify({ model, stream: true, ...body }),
  });

const hi = [{ role: "user", content: "hi" }];

describe("an OpenAI upstream's server_error after the answer began", () => {
  test("to a chat caller: relayed, recorded 500", async () => {
    const response = await post("/v1/chat/completions", { messages: hi });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('"server_error"');
    expect((await recordOf(finished, response)).status).toBe(500);
  });

  test("to a Responses caller (translated to chat): recorded 500", async () => {
    const response = await post("/v1/responses", { input: "hi" });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain("response.failed");
    expect((await recordOf(finished, response)).status).toBe(500);
  });

  test("to a Messages caller: its api_error event, recorded 502, as the upstream's HTTP 500 is across dialects", async () => {
    const response = await post("/v1/messages", { messages: hi, max_tokens: 16 });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('"api_error"');
    expect((await recordOf(finished, response)).status).toBe(502);
  });
});

test("the same failure before the first byte: 500 to a chat caller, 502 to a Messages caller", async () => {
  const chat = await post("/v1/chat/completions", { messages: hi }, "before");
  expect(chat.status).toBe(500);
  const messages = await post("/v1/messages", { messages: hi, max_tokens: 16 }, "before");
  expect([messages.status, ((await messages.json()) as { error: { type: string } }).error.type]).toEqual([
    502,
    "api_error",
  ]);
});
