import { beforeAll, describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { type CannedUpstream, startCannedUpstream } from "../fake-upstream/canned-upstream.ts";
import { auditRow } from "./harness/admin-api.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";

// Same dialect in and out: the request goes upstream as the client sent it (only `model`
// spliced), with the dialect's headers and the query string; the answer comes back byte for
// byte — bodies, streams and error bodies alike. The upstream here answers canned bytes with
// unusual spacing and unknown fields, so any re-encoding on the way would show.

const OPENAI_KEY = "sk-upstream-openai-1234";
const ANTHROPIC_KEY = "sk-ant-upstream-5678";

let openaiUp: CannedUpstream;
let anthropicUp: CannedUpstream;
let responsesUp: CannedUpstream;
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

const fx = gatewayFixture({
  fake: null,
  fakeRoutes: false,
  config: (_noFake, { own }) => {
    openaiUp = own(startCannedUpstream());
    anthropicUp = own(startCannedUpstream());
    responsesUp = own(startCannedUpstream());
    return {
      providers: [
        { name: "oa", type: "openai", base_url: `${openaiUp.url}/v1`, api_key: OPENAI_KEY },
        { name: "claude", type: "anthropic", base_url: anthropicUp.url, api_key: ANTHROPIC_KEY },
        {
          name: "oa-resp",
          type: "openai",
          base_url: `${responsesUp.url}/v1`,
          api_key: OPENAI_KEY,
          responses_api: true,
        },
      ],
      models: [
        { name: "chat", routes: [{ provider: "oa", model: "up-chat" }] },
        { name: "claude", routes: [{ provider: "claude", model: "claude-up" }] },
        { name: "resp", routes: [{ provider: "oa-resp", model: "up-resp" }] },
      ],
      routing: { retries: 0 },
    };
  },
});

beforeAll(async () => {
  gw = fx.gw;
  if (!gw.adminKey) throw new Error("no bootstrap admin key printed");
});

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

  test.each(["text/plain", "text/plain;charset=UTF-8", "application/octet-stream"])(
    "an answer labelled %s (a Worker's `new Response(JSON.stringify(…))` says text/plain) reaches the SDK as JSON: an object",
    async (label) => {
      openaiUp.queue({ headers: { "content-type": label }, body: CHAT_BODY });
      const { data, response } = await openai()
        .chat.completions.create({ model: "chat", messages: [{ role: "user", content: "hi" }] })
        .withResponse();
      expect(typeof data).toBe("object");
      expect(data.choices[0]?.message.content).toBe("hello");
      expect(response.headers.get("content-type")).toBe("application/json");
    },
  );

  test("an answer in a JSON type of its own keeps it", async () => {
    openaiUp.queue({
      headers: { "content-type": "application/vnd.vendor+json; charset=utf-8" },
      body: CHAT_BODY,
    });
    const response = await openai()
      .chat.completions.create({ model: "chat", messages: [{ role: "user", content: "hi" }] })
      .asResponse();
    expect(response.headers.get("content-type")).toBe("application/vnd.vendor+json; charset=utf-8");
    expect(await response.text()).toBe(CHAT_BODY);
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

  test("an upstream 4xx comes back as sent: status, the very bytes of its body, Retry-After", async () => {
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
    expect(await response.text()).toBe(body);
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
    // As OpenAI answers the SDK's default `encoding_format: "base64"`: [0.5, -1] as float32 LE.
    // (An upstream that answers floats anyway is re-encoded: src/http/embeddings-encoding.test.ts.)
    const embedding =
      '{"object":"list","data":[{"object":"embedding","index":0,"embedding":"AAAAPwAAgL8="}],"model":"up-chat","usage":{"prompt_tokens":2,"total_tokens":2}}';
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

  test("count_tokens passes through; an upstream 4xx or 5xx comes back as sent (its request_id the gateway's)", async () => {
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
    // A server fault with no route left: the upstream's status and body as sent, but for the
    // upstream's id of the gateway's call: the caller's is the gateway's `request-id`, in the body
    // too, as Anthropic's own bodies name theirs.
    expect(response.status).toBe(529);
    expect(response.headers.get("request-id")).toBe(response.headers.get("x-request-id"));
    expect(await response.text()).toBe(
      `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"},"request_id":"${response.headers.get("request-id")}"}`,
    );
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

describe("the Responses API to an upstream that serves it", () => {
  const responseBody = (id: string) =>
    `{"id":"${id}","object":"response","created_at":1,"status":"completed","model":"up-resp",` +
    '"output":[{"type":"message","id":"msg_1","role":"assistant","status":"completed","content":[{"type":"output_text","text":"hello","annotations":[]}]}],' +
    '"usage":{"input_tokens":5,"output_tokens":2,"total_tokens":7},"x_vendor":1}';
  const JSON_TYPE = { "content-type": "application/json" };

  test("POST passes through untranslated (unknown tool types kept); the answer byte for byte, then read where it is held", async () => {
    responsesUp.queue({ headers: JSON_TYPE, body: responseBody("resp_up1") });
    const tools = [
      { type: "namespace", name: "shell", tools: [{ type: "function", name: "run", parameters: {} }] },
      {
        type: "custom",
        name: "apply_patch",
        format: { type: "grammar", syntax: "lark", definition: "start: /.+/" },
      },
      { type: "web_search" },
    ];
    const response = await openai()
      .responses.create({
        model: "resp",
        input: [{ type: "message", role: "user", content: "hi" }],
        reasoning: { effort: "low" },
        ...({ tools, x_unknown: true } as object),
      })
      .asResponse();
    expect(await response.text()).toBe(responseBody("resp_up1"));
    const upstream = lastUpstream(responsesUp);
    expect(upstream.path).toBe("/v1/responses");
    expect(upstream.text).toBe(lastSent().replace('"model":"resp"', '"model":"up-resp"'));
    expect(JSON.parse(upstream.text).tools).toEqual(tools);
    const row = await auditRow(gw, response.headers.get("x-request-id") ?? "");
    expect(row).toMatchObject({ status: 200, inputTokens: 5, outputTokens: 2 });

    // The gateway stored it with its holder: reads and deletes go to that upstream.
    responsesUp.queue({ headers: JSON_TYPE, body: responseBody("resp_up1") });
    const read = await openai().responses.retrieve("resp_up1").asResponse();
    expect(await read.text()).toBe(responseBody("resp_up1"));
    expect(lastUpstream(responsesUp)).toMatchObject({ method: "GET", path: "/v1/responses/resp_up1" });
    expect(lastUpstream(responsesUp).headers.authorization).toBe(`Bearer ${OPENAI_KEY}`);
    const items = '{"object":"list","data":[],"first_id":null,"last_id":null,"has_more":false}';
    responsesUp.queue({ headers: JSON_TYPE, body: items });
    const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    const tracestate = "congo=t61rcWkgMzE, rojo=00f067aa0ba902b7";
    const listed = await fetch(`${gw.url}/v1/responses/resp_up1/input_items?order=asc`, {
      headers: { authorization: `Bearer ${gw.adminKey}`, traceparent, tracestate },
    });
    expect(await listed.text()).toBe(items);
    expect(lastUpstream(responsesUp)).toMatchObject({
      path: "/v1/responses/resp_up1/input_items",
      query: "?order=asc",
    });
    // Under the id the client was answered with (and the audit row has), the caller's trace context passed on.
    expect(lastUpstream(responsesUp).headers["x-request-id"]).toBe(
      listed.headers.get("x-request-id") ?? "none",
    );
    expect(lastUpstream(responsesUp).headers.traceparent).toBe(traceparent);
    expect(lastUpstream(responsesUp).headers.tracestate).toBe(tracestate);
  });

  test("a chain stays on the provider that holds it: previous_response_id goes as sent", async () => {
    responsesUp.queue({ headers: JSON_TYPE, body: responseBody("resp_up2") });
    await openai().responses.create({ model: "resp", input: "first" });
    responsesUp.queue({ headers: JSON_TYPE, body: responseBody("resp_up3") });
    const next = await openai().responses.create({
      model: "resp",
      input: "again",
      previous_response_id: "resp_up2",
    });
    expect(next.id).toBe("resp_up3");
    const upstream = JSON.parse(lastUpstream(responsesUp).text);
    expect(upstream).toMatchObject({ previous_response_id: "resp_up2", input: "again", model: "up-resp" });
    // Tenants share the gateway's upstream account: an id the gateway did not give this caller's
    // tenant never reaches the upstream, even on a native route.
    const calls = responsesUp.requests.length;
    const missing = await openai()
      .responses.create({ model: "resp", input: "x", previous_response_id: "resp_zz" })
      .catch((e: unknown) => e);
    expect((missing as InstanceType<typeof OpenAI.BadRequestError>).status).toBe(400);
    expect((missing as InstanceType<typeof OpenAI.BadRequestError>).code).toBe("previous_response_not_found");
    expect((missing as InstanceType<typeof OpenAI.BadRequestError>).param).toBe("previous_response_id");
    expect(responsesUp.requests.length).toBe(calls);
  });

  test("a chain built by translation moves here expanded from the gateway's store", async () => {
    // `chat` is a chat-only route: the Responses call is translated, and the gateway stores it.
    openaiUp.queue({ headers: JSON_TYPE, body: CHAT_BODY });
    const first = await openai().responses.create({ model: "chat", input: "remember 42" });
    responsesUp.queue({ headers: JSON_TYPE, body: responseBody("resp_up4") });
    await openai().responses.create({ model: "resp", input: "what number?", previous_response_id: first.id });
    const upstream = JSON.parse(lastUpstream(responsesUp).text) as {
      input: { content: unknown }[];
      previous_response_id?: string;
    };
    expect(upstream.previous_response_id).toBeUndefined();
    expect(upstream.input.map((item) => item.content)).toMatchObject([
      "remember 42",
      [{ type: "output_text", text: "hello" }],
      "what number?",
    ]);
  });

  test("a chain held upstream moves to a translated route expanded from the gateway's copy", async () => {
    responsesUp.queue({ headers: JSON_TYPE, body: responseBody("resp_up6") });
    await openai().responses.create({ model: "resp", input: "remember 7" });
    openaiUp.queue({ headers: JSON_TYPE, body: CHAT_BODY });
    await openai().responses.create({
      model: "chat",
      input: "which number?",
      previous_response_id: "resp_up6",
    });
    const chat = JSON.parse(lastUpstream(openaiUp).text) as {
      messages: { role: string; content: unknown }[];
    };
    expect(lastUpstream(openaiUp).path).toBe("/v1/chat/completions");
    expect(chat.messages.map((m) => m.role)).toEqual(["user", "assistant", "user"]);
    expect(chat.messages[0]?.content).toBe("remember 7");
    expect(chat.messages[2]?.content).toBe("which number?");
  });

  test("a stream comes back byte for byte; its final response is stored under the upstream's id", async () => {
    const events = [
      'event: response.created\ndata: {"type":"response.created","sequence_number":0,"response":{"id":"resp_up5","object":"response","status":"in_progress","output":[],"usage":null}}\n\n',
      'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","sequence_number":1,"item_id":"msg_1","output_index":0,"content_index":0,"delta":"hel"}\n\n',
      `event: response.completed\ndata: {"type":"response.completed","sequence_number":2,"response":${responseBody("resp_up5")}}\n\n`,
    ];
    responsesUp.queue({ headers: SSE, body: events });
    const raw = await fetch(`${gw.url}/v1/responses`, {
      method: "POST",
      headers: { authorization: `Bearer ${gw.adminKey}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "resp", input: "hi", stream: true }),
    });
    expect(await raw.text()).toBe(events.join(""));
    const row = await auditRow(gw, raw.headers.get("x-request-id") ?? "");
    expect(row).toMatchObject({ status: 200, inputTokens: 5, outputTokens: 2 });
    responsesUp.queue({ headers: JSON_TYPE, body: '{"id":"resp_up5","object":"response","deleted":true}' });
    const deleted = await fetch(`${gw.url}/v1/responses/resp_up5`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${gw.adminKey}` },
    });
    expect(await deleted.json()).toEqual({ id: "resp_up5", object: "response", deleted: true });
    expect(lastUpstream(responsesUp)).toMatchObject({ method: "DELETE", path: "/v1/responses/resp_up5" });
    const gone = await fetch(`${gw.url}/v1/responses/resp_up5`, {
      headers: { authorization: `Bearer ${gw.adminKey}` },
    });
    expect(gone.status).toBe(404);
  });

  test("/v1/responses/compact passes through to a native route, and is answered by a summary turn elsewhere", async () => {
    const compacted =
      '{"id":"resp_c","object":"response.compaction","output":[{"type":"compaction","encrypted_content":"xyz"}],"usage":{"input_tokens":9,"output_tokens":1,"total_tokens":10}}';
    responsesUp.queue({ headers: JSON_TYPE, body: compacted });
    const body = '{"model":"resp","input":[{"type":"message","role":"user","content":"long talk"}]}';
    const response = await fetch(`${gw.url}/v1/responses/compact`, {
      method: "POST",
      headers: { authorization: `Bearer ${gw.adminKey}`, "content-type": "application/json" },
      body,
    });
    expect(await response.text()).toBe(compacted);
    expect(lastUpstream(responsesUp)).toMatchObject({
      path: "/v1/responses/compact",
      text: body.replace('"resp"', '"up-resp"'),
    });
    // A route without the Responses API: the model is asked for a summary turn, which comes back
    // as the one `compaction` item, and reads back as a turn when it returns in a later input.
    openaiUp.queue({
      headers: JSON_TYPE,
      body: JSON.stringify({
        id: "chatcmpl-s",
        object: "chat.completion",
        created: 7,
        model: "up-chat",
        choices: [
          {
            index: 0,
            message: { role: "assistant", content: "We talked at length." },
            finish_reason: "stop",
          },
        ],
        usage: { prompt_tokens: 12, completion_tokens: 4, total_tokens: 16 },
      }),
    });
    const translated = await fetch(`${gw.url}/v1/responses/compact`, {
      method: "POST",
      headers: { authorization: `Bearer ${gw.adminKey}`, "content-type": "application/json" },
      body: body.replace('"resp"', '"chat"'),
    });
    expect(translated.status).toBe(200);
    const compaction = (await translated.json()) as {
      object: string;
      output: { type: string; encrypted_content: string }[];
    };
    expect(compaction).toMatchObject({
      object: "response.compaction",
      usage: { input_tokens: 12, output_tokens: 4 },
    });
    expect(compaction.output).toHaveLength(1);
    expect(compaction.output[0]?.type).toBe("compaction");
    const summaryCall = JSON.parse(lastUpstream(openaiUp).text) as {
      messages: { role: string; content: string }[];
      stream?: boolean;
    };
    expect(lastUpstream(openaiUp).path).toBe("/v1/chat/completions");
    expect(summaryCall.messages[0]).toEqual({ role: "user", content: "long talk" });
    expect(summaryCall.messages.at(-1)?.content).toStartWith("Summarize the conversation so far");
    expect(summaryCall.stream).toBeUndefined();
  });

  test("a Responses call whose input ends in compaction_trigger, on a translated route: one compaction item", async () => {
    openaiUp.queue({ headers: JSON_TYPE, body: CHAT_BODY });
    const response = await fetch(`${gw.url}/v1/responses`, {
      method: "POST",
      headers: { authorization: `Bearer ${gw.adminKey}`, "content-type": "application/json" },
      body: JSON.stringify({
        model: "chat",
        input: [{ role: "user", content: "long talk" }, { type: "compaction_trigger" }],
      }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      object: string;
      output: { type: string; encrypted_content: string }[];
    };
    expect(body.object).toBe("response");
    expect(body.output.map((item) => item.type)).toEqual(["compaction"]);
    const sent = JSON.parse(lastUpstream(openaiUp).text) as { messages: { content: string }[] };
    expect(sent.messages.at(-1)?.content).toStartWith("Summarize the conversation so far");
  });
});
