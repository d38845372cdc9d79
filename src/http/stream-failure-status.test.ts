import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { AuditRecord } from "../audit/audit-record.ts";
import { recordOf } from "../testing/recording-gateway.ts";
import { startUpstreamGateway, type UpstreamGateway } from "../testing/upstream-gateway.ts";

// A stream that fails once it started is told so by its wire's error event, with HTTP 200 gone
// out; its audit row keeps the status that event stands for, as a failure before the first byte
// would have been answered: an upstream's overload is Anthropic's 529 to a Messages caller and
// OpenAI's 503 to a chat caller, not the gateway's 502 for any upstream failure.

const OPENING =
  'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-x","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":3,"output_tokens":1}}}\n\n' +
  'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\n' +
  'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hel"}}\n\n';
const OVERLOADED =
  'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n';

let gateway: UpstreamGateway;
let adminKey = "";
let finished: AuditRecord[] = [];
let url = "";
/** Sends the upstream's error event, once the caller has read the stream's start. */
let release: () => void = () => {};

beforeAll(async () => {
  gateway = await startUpstreamGateway(
    async (request) => {
      const { model } = (await request.json()) as { model: string };
      const encoder = new TextEncoder();
      // `whole`: the failure comes in the stream's first read; else after the caller read its start.
      if (model === "whole")
        return new Response(OPENING + OVERLOADED, { headers: { "content-type": "text/event-stream" } });
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      const body = new ReadableStream<Uint8Array>({
        async start(controller) {
          controller.enqueue(encoder.encode(OPENING));
          await released;
          controller.enqueue(encoder.encode(OVERLOADED));
          controller.close();
        },
      });
      return new Response(body, { headers: { "content-type": "text/event-stream" } });
    },
    (upstream) => ({
      providers: [{ name: "an", type: "anthropic", base_url: upstream, api_key: "k" }],
      models: [
        { name: "parts", routes: [{ provider: "an", model: "parts" }] },
        { name: "whole", routes: [{ provider: "an", model: "whole" }] },
      ],
      routing: { retries: 0 },
    }),
  );
  ({ adminKey, finished, url } = gateway);
});

afterAll(() => gateway.stop());

const messages = (model: string) =>
  fetch(`${url}/v1/messages`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": adminKey },
    body: JSON.stringify({
      model,
      stream: true,
      max_tokens: 16,
      messages: [{ role: "user", content: "hi" }],
    }),
  });

const chat = (model: string) =>
  fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${adminKey}` },
    body: JSON.stringify({ model, stream: true, messages: [{ role: "user", content: "hi" }] }),
  });

/** The stream's text: its start read first, then the upstream let fail, then the rest. */
async function readFailing(response: Response, seen: string): Promise<string> {
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = "";
  while (!text.includes(seen)) {
    const read = await reader.read();
    if (read.done) throw new Error(`the stream ended before ${seen}: ${text}`);
    text += decoder.decode(read.value, { stream: true });
  }
  release();
  for (let read = await reader.read(); !read.done; read = await reader.read())
    text += decoder.decode(read.value, { stream: true });
  return text;
}

describe("a stream that fails mid-way is recorded with the status its error event stands for", () => {
  test("an Anthropic upstream's overload relayed to a Messages caller: 529", async () => {
    const response = await messages("parts");
    expect(response.status).toBe(200);
    const text = await readFailing(response, "Hel");
    expect(text).toContain('"overloaded_error"');
    const row = await recordOf(finished, response);
    expect(row.status).toBe(529);
  });

  test("the same overload translated for a chat caller: OpenAI's 503", async () => {
    const response = await chat("parts");
    expect(response.status).toBe(200);
    const text = await readFailing(response, "Hel");
    expect(text).toContain("server_is_overloaded");
    const row = await recordOf(finished, response);
    expect(row.status).toBe(503);
  });

  test("a stream whole in its first read that ends in an overload: 529 to a Messages caller", async () => {
    const response = await messages("whole");
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('"overloaded_error"');
    const row = await recordOf(finished, response);
    expect(row.status).toBe(529);
  });
});
