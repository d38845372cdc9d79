import { afterAll, beforeAll, describe, expect, spyOn, test } from "bun:test";
import type { AuditRecord } from "../audit/audit-record.ts";
import { recordOf } from "../testing/recording-gateway.ts";
import { startUpstreamGateway, type UpstreamGateway } from "../testing/upstream-gateway.ts";

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

/** A whole answer with its finish reason, as a translation needs it to be complete. */
const FINISHED =
  'data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"hi"}}]}\n\n' +
  'data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n' +
  `data: {"id":"c1","object":"chat.completion.chunk","choices":[],"usage":${USAGE}}\n\n` +
  "data: [DONE]\n\n";
const ERROR_FIRST = 'data: {"error":{"message":"overloaded","type":"server_error"}}\n\n';
/** A whole answer with no usage at all, as a server that ignores `stream_options` sends it. */
const UNCOUNTED =
  'data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"hi"}}]}\n\n' +
  'data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":" there"}}]}\n\n' +
  'data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n' +
  "data: [DONE]\n\n";

let gateway: UpstreamGateway;
let adminKey = "";
let finished: AuditRecord[] = [];

let gatewayUrl = "";
// Over a socket: what Bun puts on the wire (a length, or chunked framing) is what is asserted.
const chat = (model: string, key = adminKey) =>
  fetch(`${gatewayUrl}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: JSON.stringify({
      model,
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: "user", content: "hi" }],
    }),
  });

/** The same, through the Anthropic front door: translated from the OpenAI upstream's stream. */
const messages = (model: string) =>
  fetch(`${gatewayUrl}/v1/messages`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": adminKey },
    body: JSON.stringify({
      model,
      stream: true,
      max_tokens: 16,
      messages: [{ role: "user", content: "hi" }],
    }),
  });

/** An Anthropic stream's event names and text deltas, in order. */
const eventsOf = (text: string) =>
  text
    .split("\n\n")
    .filter((block) => block !== "")
    .map((block) => block.split("\n")[0]);

const rowOf = (response: Response) => recordOf(finished, response);

beforeAll(async () => {
  // The whole stream in one write, with its length: the gateway's first read holds its end.
  gateway = await startUpstreamGateway(
    async (request) => {
      const { model } = (await request.json()) as { model: string };
      const body =
        model === "failing"
          ? FAILING
          : model === "error-first"
            ? ERROR_FIRST
            : model === "finished"
              ? FINISHED
              : model === "uncounted"
                ? UNCOUNTED
                : ANSWER;
      return new Response(body, {
        headers: { "content-type": "text/event-stream" },
      });
    },
    (upstream) => ({
      providers: [{ name: "fake", type: "openai", base_url: `${upstream}/v1` }],
      models: [
        { name: "whole", routes: [{ provider: "fake", model: "whole" }] },
        { name: "failing", routes: [{ provider: "fake", model: "failing" }] },
        { name: "finished", routes: [{ provider: "fake", model: "finished" }] },
        { name: "uncounted", routes: [{ provider: "fake", model: "uncounted" }] },
        {
          name: "fails-over",
          routes: [
            { provider: "fake", model: "error-first" },
            { provider: "fake", model: "finished" },
          ],
        },
      ],
    }),
  );
  ({ adminKey, finished, url: gatewayUrl } = gateway);
});

afterAll(() => gateway.stop());

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

  test("without a usage count it is estimated, never free (tokens-per-minute and budgets see it), and its caller, who asked, told so", async () => {
    const response = await chat("uncounted");
    const text = await response.text();
    const row = await rowOf(response);
    expect(row.status).toBe(200);
    expect(row.inputTokens).toBeGreaterThan(0);
    // A token for each of its upstream's data events but `[DONE]`: two of text and the finish.
    expect(row.outputTokens).toBe(3);
    // The usage chunk OpenAI ends with, before `[DONE]`: what the record says.
    const usage = `{"prompt_tokens":${row.inputTokens},"completion_tokens":3,"total_tokens":${row.inputTokens + 3}}`;
    const told = `data: {"id":"c1","object":"chat.completion.chunk","choices":[],"usage":${usage}}\n\n`;
    expect(text).toBe(UNCOUNTED.replace("data: [DONE]", `${told}data: [DONE]`));
  });

  test("an error as its first event is failed over to the next route, as a translated stream's is", async () => {
    const response = await chat("fails-over");
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(FINISHED);
    const row = await rowOf(response);
    expect(row.status).toBe(200);
    expect(row.attempts?.[0]?.outcome).toBe("failed");
    expect(row.attempts?.at(-1)).toMatchObject({ upstreamModel: "finished", outcome: "ok" });
  });

  test("its x-ratelimit-*-tokens say what a stream's do: not its own tokens, which the next answer's count", async () => {
    const created = await fetch(`${gatewayUrl}/admin/api/keys`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${adminKey}` },
      body: JSON.stringify({ name: "whole-stream-tpm", tpm: 1000 }),
    });
    const { key } = (await created.json()) as { key: string };
    const tokensLeft = async () => {
      const response = await chat("whole", key);
      // Whole in its first read: a byte body with its length.
      expect(response.headers.get("content-length")).toBe(String(ANSWER.length));
      expect(await response.text()).toBe(ANSWER);
      return response.headers.get("x-ratelimit-remaining-tokens");
    };
    // Each used 5 tokens: the first's headers left them out, as a stream relayed as it came does.
    expect([await tokensLeft(), await tokensLeft()]).toEqual(["1000", "995"]);
  });

  test("an error event in it leaves HTTP 200 and a record that says the stream failed", async () => {
    const response = await chat("failing");
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(FAILING);
    const row = await rowOf(response);
    // The status its error event stands for (OpenAI's `server_error` type: 500), as a relayed 500
    // before the first byte would have been answered (stream-failure-status.ts).
    expect(row.status).toBe(500);
    expect(row.errorClass).toBe("upstream_error");
  });
});

describe("a translated stream whole in its first read", () => {
  test("goes out whole with its length, in the caller's dialect, usage counted", async () => {
    const response = await messages("finished");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    const text = await response.text();
    expect(response.headers.get("content-length")).toBe(String(Buffer.byteLength(text)));
    expect(response.headers.get("transfer-encoding")).toBeNull();
    expect(eventsOf(text)).toEqual([
      "event: message_start",
      "event: ping",
      "event: content_block_start",
      "event: content_block_delta",
      "event: content_block_stop",
      "event: message_delta",
      "event: message_stop",
    ]);
    const row = await rowOf(response);
    expect(row.status).toBe(200);
    expect(row.inputTokens).toBe(3);
    expect(row.outputTokens).toBe(2);
  });

  test("without a usage count it is charged as through chat: a token for each of its upstream's events, not the caller's", async () => {
    const response = await messages("uncounted");
    expect(response.status).toBe(200);
    // Eight events for the caller, framing included, for the upstream's two chunks of text and its finish.
    expect(eventsOf(await response.text())).toHaveLength(8);
    const row = await rowOf(response);
    expect(row.status).toBe(200);
    expect(row.outputTokens).toBe(3);
  });

  test("an error after its first event: one error event in the caller's dialect, the record failed", async () => {
    const response = await messages("failing");
    expect(response.status).toBe(200);
    const text = await response.text();
    const events = eventsOf(text);
    expect(events.slice(0, 4)).toEqual([
      "event: message_start",
      "event: ping",
      "event: content_block_start",
      "event: content_block_delta",
    ]);
    expect(events.at(-1)).toBe("event: error");
    expect(events.filter((event) => event === "event: error")).toHaveLength(1);
    expect(text).toContain("overloaded");
    const row = await rowOf(response);
    expect(row.status).toBe(502);
  });

  test("an error before its first event is failed over to the next route", async () => {
    const response = await messages("fails-over");
    expect(response.status).toBe(200);
    expect(eventsOf(await response.text()).at(-1)).toBe("event: message_stop");
    const row = await rowOf(response);
    expect(row.status).toBe(200);
    expect(row.attempts?.[0]?.outcome).toBe("failed");
    expect(row.attempts?.at(-1)).toMatchObject({ upstreamModel: "finished", outcome: "ok" });
  });
});
