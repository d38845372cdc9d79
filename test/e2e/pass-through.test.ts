import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { type CannedUpstream, startCannedUpstream } from "../fake-upstream/canned-upstream.ts";
import { auditRow } from "./harness/admin-api.ts";
import { type GatewayProcess, spawnGateway } from "./harness/spawn-gateway.ts";

// Same dialect in and out: the request goes upstream as the client sent it (only `model`
// spliced), with the dialect's headers and the query string; the answer comes back byte for
// byte — bodies, streams and error bodies alike. The upstream here answers canned bytes with
// unusual spacing and unknown fields, so any re-encoding on the way would show.

const OPENAI_KEY = "sk-upstream-openai-1234";
const ANTHROPIC_KEY = "sk-ant-upstream-5678";

let openaiUp: CannedUpstream;
let anthropicUp: CannedUpstream;
let gw: GatewayProcess;
/** The exact body text each SDK put on the wire, and its headers, by request order. */
const sent: string[] = [];
const sentHeaders: Headers[] = [];

const recordingFetch: typeof fetch = Object.assign(
  (input: string | URL | Request, init?: RequestInit) => {
    if (typeof init?.body === "string") sent.push(init.body);
    sentHeaders.push(new Headers(init?.headers));
    return fetch(input, init);
  },
  { preconnect: fetch.preconnect },
);

const openai = () =>
  new OpenAI({
    baseURL: `${gw.url}/v1`,
    apiKey: gw.adminKey ?? "",
    maxRetries: 0,
    fetch: recordingFetch,
    defaultHeaders: { "openai-beta": "responses=experimental" },
    defaultQuery: { beta: "true" },
  });
const anthropic = () =>
  new Anthropic({ baseURL: gw.url, apiKey: gw.adminKey ?? "", maxRetries: 0, fetch: recordingFetch });

const lastSent = () => sent.at(-1) ?? "";
const lastUpstream = (up: CannedUpstream) => {
  const request = up.requests.at(-1);
  if (!request) throw new Error("the upstream got no request");
  return request;
};

const CHAT_BODY =
  '{"id":"chatcmpl-1",  "object":"chat.completion","created":1,"model":"up-chat","x_vendor":{"kept":true},' +
  '"choices":[{"index":0,"message":{"role":"assistant","content":"hello","annotations":[]},"finish_reason":"stop"}],' +
  '"usage":{"prompt_tokens":13,"completion_tokens":4,"total_tokens":17}}';

const chunk = (content: string) =>
  `data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"up-chat","choices":[{"index":0,"delta":{"content":"${content}"},"finish_reason":null}],"x_vendor":1}\n\n`;
const USAGE_CHUNK =
  'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"up-chat","choices":[],"usage":{"prompt_tokens":21,"completion_tokens":3,"total_tokens":24}}\n\n';
const STREAM_WRITES = [
  chunk("he") + chunk("l"),
  `${chunk("lo")}${USAGE_CHUNK.slice(0, 40)}`,
  `${USAGE_CHUNK.slice(40)}data: [DONE]\n\n`,
];
const SSE = { "content-type": "text/event-stream" };

beforeAll(async () => {
  openaiUp = startCannedUpstream();
  anthropicUp = startCannedUpstream();
  gw = await spawnGateway({
    config: {
      providers: [
        { name: "oa", type: "openai", base_url: `${openaiUp.url}/v1`, api_key: OPENAI_KEY },
        { name: "claude", type: "anthropic", base_url: anthropicUp.url, api_key: ANTHROPIC_KEY },
      ],
      models: [
        { name: "chat", routes: [{ provider: "oa", model: "up-chat" }] },
        { name: "claude", routes: [{ provider: "claude", model: "claude-up" }] },
      ],
      routing: { retries: 0 },
    },
  });
  if (!gw.adminKey) throw new Error("no bootstrap admin key printed");
});

afterAll(async () => {
  try {
    await gw?.stop("SIGTERM", 5000);
  } finally {
    await openaiUp?.stop();
    await anthropicUp?.stop();
  }
}, 20_000);

describe("OpenAI dialect to an OpenAI upstream", () => {
  test("non-stream: body as sent (model spliced, unknown fields kept), headers and query passed, answer byte for byte", async () => {
    openaiUp.queue({ headers: { "content-type": "application/json" }, body: CHAT_BODY });
    const response = await openai()
      .chat.completions.create({
        model: "chat",
        messages: [{ role: "user", content: "hi" }],
        reasoning_effort: "low",
        // A field no SDK type knows: it must still reach the upstream.
        ...({ x_unknown: { nested: [1, "two"] } } as object),
      })
      .asResponse();
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(CHAT_BODY);
    expect(response.headers.get("x-request-id")).toMatch(/^req_/);
    const upstream = lastUpstream(openaiUp);
    expect(upstream.path).toBe("/v1/chat/completions");
    expect(upstream.query).toBe("?beta=true");
    expect(upstream.headers["openai-beta"]).toBe("responses=experimental");
    expect(upstream.headers.authorization).toBe(`Bearer ${OPENAI_KEY}`);
    expect(upstream.text).toBe(lastSent().replace('"model":"chat"', '"model":"up-chat"'));
    expect(JSON.parse(upstream.text).x_unknown).toEqual({ nested: [1, "two"] });
    const row = await auditRow(gw, response.headers.get("x-request-id") ?? "");
    expect(row).toMatchObject({ status: 200, inputTokens: 13, outputTokens: 4 });
  });

  test("stream without include_usage: usage forced upstream, counted, and its chunk kept from the client", async () => {
    openaiUp.queue({ headers: SSE, body: STREAM_WRITES });
    const response = await openai()
      .chat.completions.create({ model: "chat", messages: [{ role: "user", content: "hi" }], stream: true })
      .asResponse();
    const text = await response.text();
    expect(text).toBe(STREAM_WRITES.join("").replace(USAGE_CHUNK, ""));
    const upstream = lastUpstream(openaiUp);
    expect(upstream.text).toBe(
      lastSent()
        .replace("{", '{"stream_options":{"include_usage":true},')
        .replace('"model":"chat"', '"model":"up-chat"'),
    );
    const row = await auditRow(gw, response.headers.get("x-request-id") ?? "");
    expect(row).toMatchObject({ status: 200, inputTokens: 21, outputTokens: 3 });
  });

  test("stream with include_usage: the client gets every upstream byte, and the SDK reads it", async () => {
    openaiUp.queue({ headers: SSE, body: STREAM_WRITES });
    const stream = await openai().chat.completions.create({
      model: "chat",
      messages: [{ role: "user", content: "hi" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let content = "";
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const part of stream) {
      content += part.choices[0]?.delta.content ?? "";
      usage = part.usage ?? usage;
    }
    expect(content).toBe("hello");
    expect(usage?.total_tokens).toBe(24);
    expect(lastUpstream(openaiUp).text).toBe(lastSent().replace('"model":"chat"', '"model":"up-chat"'));
  });

  test("an upstream 4xx keeps its meaning: status, the upstream's error object, Retry-After", async () => {
    const body =
      '{"error": {"message":"Rate limit reached for up-chat","type":"requests","param":null,"code":"rate_limit_exceeded"}}';
    openaiUp.queue({
      status: 429,
      headers: { "content-type": "application/json", "retry-after": "7" },
      body,
    });
    const response = await fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${gw.adminKey}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "chat", messages: [{ role: "user", content: "hi" }] }),
    });
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("7");
    expect(JSON.parse(await response.text())).toEqual(JSON.parse(body));
    const context =
      '{"error":{"message":"This model\'s maximum context length is 8 tokens","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}}';
    openaiUp.queue({ status: 400, headers: { "content-type": "application/json" }, body: context });
    const error = await openai()
      .chat.completions.create({ model: "chat", messages: [{ role: "user", content: "hi" }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).code).toBe("context_length_exceeded");
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).param).toBe("messages");
  });

  test("client routing fields never leave the gateway, even on the byte path", async () => {
    openaiUp.queue({ headers: { "content-type": "application/json" }, body: CHAT_BODY });
    await openai()
      .chat.completions.create({
        model: "chat",
        messages: [{ role: "user", content: "hi" }],
        ...({ api_base: "http://evil.example", api_key: "sk-client", x_kept: 1 } as object),
      })
      .asResponse();
    const forwarded = JSON.parse(lastUpstream(openaiUp).text) as Record<string, unknown>;
    expect(forwarded).toMatchObject({ model: "up-chat", x_kept: 1 });
    expect(forwarded.api_base).toBeUndefined();
    expect(forwarded.api_key).toBeUndefined();
  });

  test("embeddings and completions pass through too", async () => {
    const embedding =
      '{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.5,-1]}],"model":"up-chat","usage":{"prompt_tokens":2,"total_tokens":2}}';
    openaiUp.queue({ headers: { "content-type": "application/json" }, body: embedding });
    const embedded = await openai()
      .embeddings.create({ model: "chat", input: "hi", dimensions: 2 })
      .asResponse();
    expect(await embedded.text()).toBe(embedding);
    expect(lastUpstream(openaiUp).path).toBe("/v1/embeddings");
    expect(JSON.parse(lastUpstream(openaiUp).text)).toEqual({
      model: "up-chat",
      input: "hi",
      dimensions: 2,
      encoding_format: "base64",
    });
  });
});

describe("Anthropic dialect to an Anthropic upstream", () => {
  const MESSAGE =
    '{"id":"msg_1","type":"message","role":"assistant","model":"claude-up","content":[{"type":"text","text":"hi"}],' +
    '"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":9,"output_tokens":2,"cache_read_input_tokens":1},"x_vendor":true}';

  test("anthropic-beta and the client's anthropic-version reach the upstream; beta-only fields untouched", async () => {
    anthropicUp.queue({ headers: { "content-type": "application/json" }, body: MESSAGE });
    const response = await anthropic()
      .messages.create(
        {
          model: "claude",
          max_tokens: 64,
          messages: [{ role: "user", content: "hi" }],
          ...({ context_management: { edits: [{ type: "clear_tool_uses_20250919" }] } } as object),
        },
        { headers: { "anthropic-beta": "context-management-2025-06-27" } },
      )
      .asResponse();
    expect(await response.text()).toBe(MESSAGE);
    const upstream = lastUpstream(anthropicUp);
    expect(upstream.path).toBe("/v1/messages");
    expect(upstream.headers["anthropic-beta"]).toBe("context-management-2025-06-27");
    // The SDK's own version wins over the provider's configured default.
    const version = sentHeaders.at(-1)?.get("anthropic-version");
    expect(version).toBeTruthy();
    expect(upstream.headers["anthropic-version"]).toBe(version ?? "");
    expect(upstream.headers["x-api-key"]).toBe(ANTHROPIC_KEY);
    expect(upstream.text).toBe(lastSent().replace('"model":"claude"', '"model":"claude-up"'));
    const row = await auditRow(gw, response.headers.get("x-request-id") ?? "");
    expect(row).toMatchObject({ status: 200, inputTokens: 10, outputTokens: 2 });
  });

  test("a stream comes back byte for byte, its usage counted", async () => {
    const events = [
      'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_2","type":"message","role":"assistant","model":"claude-up","content":[],"stop_reason":null,"usage":{"input_tokens":30,"output_tokens":1}}}\n\n',
      'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\nevent: ping\ndata: {"type": "ping"}\n\n',
      'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"hey"}}\n\n',
      'event: content_block_stop\ndata: {"type":"content_block_stop","index":0}\n\nevent: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":5}}\n\nevent: message_stop\ndata: {"type":"message_stop"}\n\n',
    ];
    anthropicUp.queue({ headers: SSE, body: events });
    const stream = anthropic().messages.stream({
      model: "claude",
      max_tokens: 64,
      messages: [{ role: "user", content: "hi" }],
    });
    const final = await stream.finalMessage();
    expect(final.content).toMatchObject([{ type: "text", text: "hey" }]);
    const id = stream.request_id ?? "";
    const row = await auditRow(gw, id);
    expect(row).toMatchObject({ status: 200, inputTokens: 30, outputTokens: 5 });
    anthropicUp.queue({ headers: SSE, body: events });
    const raw = await fetch(`${gw.url}/v1/messages?beta=true`, {
      method: "POST",
      headers: { "x-api-key": gw.adminKey ?? "", "content-type": "application/json" },
      body: JSON.stringify({
        model: "claude",
        max_tokens: 8,
        stream: true,
        messages: [{ role: "user", content: "x" }],
      }),
    });
    expect(await raw.text()).toBe(events.join(""));
    expect(lastUpstream(anthropicUp).query).toBe("?beta=true");
    // No version from the client: the provider's configured one.
    expect(lastUpstream(anthropicUp).headers["anthropic-version"]).toBe("2023-06-01");
  });

  test("count_tokens passes through; an upstream 4xx body comes back as sent, a 5xx as a 502 of its type", async () => {
    anthropicUp.queue({ headers: { "content-type": "application/json" }, body: '{"input_tokens": 42}' });
    const counted = await anthropic().messages.countTokens({
      model: "claude",
      messages: [{ role: "user", content: "hi" }],
    });
    expect(counted.input_tokens).toBe(42);
    expect(lastUpstream(anthropicUp).path).toBe("/v1/messages/count_tokens");
    const overloaded =
      '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"},"request_id":"req_up"}';
    anthropicUp.queue({ status: 529, headers: { "content-type": "application/json" }, body: overloaded });
    const response = await fetch(`${gw.url}/v1/messages`, {
      method: "POST",
      headers: {
        "x-api-key": gw.adminKey ?? "",
        "content-type": "application/json",
        "anthropic-version": "2023-06-01",
      },
      body: JSON.stringify({ model: "claude", max_tokens: 8, messages: [{ role: "user", content: "x" }] }),
    });
    // Server faults are the gateway's 502 (core/error-wire.ts), keeping the upstream's error type.
    expect(response.status).toBe(502);
    expect(((await response.json()) as { error: { type: string } }).error.type).toBe("overloaded_error");
    const invalid =
      '{"type":"error","error":{"type":"invalid_request_error","message":"max_tokens: too large"}}';
    anthropicUp.queue({ status: 400, headers: { "content-type": "application/json" }, body: invalid });
    const refused = await fetch(`${gw.url}/v1/messages`, {
      method: "POST",
      headers: { "x-api-key": gw.adminKey ?? "", "content-type": "application/json" },
      body: JSON.stringify({ model: "claude", max_tokens: 8, messages: [{ role: "user", content: "x" }] }),
    });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toBe(invalid);
  });
});
