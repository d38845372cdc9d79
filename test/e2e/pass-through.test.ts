import { describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { auditRow } from "./harness/admin-api.ts";
import { CHAT_BODY, OPENAI_KEY, passThroughFixture, SSE } from "./harness/pass-through-fixture.ts";
import { openaiFailure } from "./harness/sdk-failure.ts";

// Same dialect in and out: the request goes upstream as the client sent it (only `model`
// spliced), with the dialect's headers and the query string; the answer comes back byte for
// byte — bodies, streams and error bodies alike. The upstream here answers canned bytes with
// unusual spacing and unknown fields, so any re-encoding on the way would show
// (harness/pass-through-fixture.ts). Anthropic: pass-through-anthropic.test.ts; the Responses
// API: pass-through-responses.test.ts.

const pt = passThroughFixture();
const { openai, lastSent, lastUpstream } = pt;

const chunk = (content: string) =>
  `data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"up-chat","choices":[{"index":0,"delta":{"content":"${content}"},"finish_reason":null}],"x_vendor":1}\n\n`;
const USAGE_CHUNK =
  'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"up-chat","choices":[],"usage":{"prompt_tokens":21,"completion_tokens":3,"total_tokens":24}}\n\n';
const STREAM_WRITES = [
  chunk("he") + chunk("l"),
  `${chunk("lo")}${USAGE_CHUNK.slice(0, 40)}`,
  `${USAGE_CHUNK.slice(40)}data: [DONE]\n\n`,
];

describe("OpenAI dialect to an OpenAI upstream", () => {
  test("non-stream: body as sent (model spliced, unknown fields kept), headers and query passed, answer byte for byte", async () => {
    pt.openaiUp.queue({ headers: { "content-type": "application/json" }, body: CHAT_BODY });
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
    const upstream = lastUpstream(pt.openaiUp);
    expect(upstream.path).toBe("/v1/chat/completions");
    expect(upstream.query).toBe("?beta=true");
    expect(upstream.headers["openai-beta"]).toBe("responses=experimental");
    expect(upstream.headers.authorization).toBe(`Bearer ${OPENAI_KEY}`);
    expect(upstream.text).toBe(lastSent().replace('"model":"chat"', '"model":"up-chat"'));
    expect(JSON.parse(upstream.text).x_unknown).toEqual({ nested: [1, "two"] });
    const row = await auditRow(pt.gw, response.headers.get("x-request-id") ?? "");
    expect(row).toMatchObject({ status: 200, inputTokens: 13, outputTokens: 4 });
  });

  test.each(["text/plain", "text/plain;charset=UTF-8", "application/octet-stream"])(
    "an answer labelled %s (a Worker's `new Response(JSON.stringify(…))` says text/plain) reaches the SDK as JSON: an object",
    async (label) => {
      pt.openaiUp.queue({ headers: { "content-type": label }, body: CHAT_BODY });
      const { data, response } = await openai()
        .chat.completions.create({ model: "chat", messages: [{ role: "user", content: "hi" }] })
        .withResponse();
      expect(typeof data).toBe("object");
      expect(data.choices[0]?.message.content).toBe("hello");
      expect(response.headers.get("content-type")).toBe("application/json");
    },
  );

  test("an answer in a JSON type of its own keeps it", async () => {
    pt.openaiUp.queue({
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
    pt.openaiUp.queue({ headers: SSE, body: STREAM_WRITES });
    const response = await openai()
      .chat.completions.create({ model: "chat", messages: [{ role: "user", content: "hi" }], stream: true })
      .asResponse();
    const text = await response.text();
    expect(text).toBe(STREAM_WRITES.join("").replace(USAGE_CHUNK, ""));
    const upstream = lastUpstream(pt.openaiUp);
    expect(upstream.text).toBe(
      lastSent()
        .replace("{", '{"stream_options":{"include_usage":true},')
        .replace('"model":"chat"', '"model":"up-chat"'),
    );
    const row = await auditRow(pt.gw, response.headers.get("x-request-id") ?? "");
    expect(row).toMatchObject({ status: 200, inputTokens: 21, outputTokens: 3 });
  });

  test("stream with include_usage: the client gets every upstream byte, and the SDK reads it", async () => {
    pt.openaiUp.queue({ headers: SSE, body: STREAM_WRITES });
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
    expect(lastUpstream(pt.openaiUp).text).toBe(lastSent().replace('"model":"chat"', '"model":"up-chat"'));
  });

  test("an upstream 4xx comes back as sent: status, the very bytes of its body, Retry-After", async () => {
    const body =
      '{"error": {"message":"Rate limit reached for up-chat","type":"requests","param":null,"code":"rate_limit_exceeded"}}';
    pt.openaiUp.queue({
      status: 429,
      headers: { "content-type": "application/json", "retry-after": "7" },
      body,
    });
    const response = await fetch(`${pt.gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${pt.gw.adminKey}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "chat", messages: [{ role: "user", content: "hi" }] }),
    });
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("7");
    expect(await response.text()).toBe(body);
    const context =
      '{"error":{"message":"This model\'s maximum context length is 8 tokens","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}}';
    pt.openaiUp.queue({ status: 400, headers: { "content-type": "application/json" }, body: context });
    const error = await openaiFailure(
      openai().chat.completions.create({ model: "chat", messages: [{ role: "user", content: "hi" }] }),
    );
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error.code).toBe("context_length_exceeded");
    expect(error.param).toBe("messages");
  });

  test("client routing fields never leave the gateway, even on the byte path", async () => {
    pt.openaiUp.queue({ headers: { "content-type": "application/json" }, body: CHAT_BODY });
    await openai()
      .chat.completions.create({
        model: "chat",
        messages: [{ role: "user", content: "hi" }],
        ...({ api_base: "http://evil.example", api_key: "sk-client", x_kept: 1 } as object),
      })
      .asResponse();
    const forwarded = JSON.parse(lastUpstream(pt.openaiUp).text) as Record<string, unknown>;
    expect(forwarded).toMatchObject({ model: "up-chat", x_kept: 1 });
    expect(forwarded.api_base).toBeUndefined();
    expect(forwarded.api_key).toBeUndefined();
  });

  test("embeddings and completions pass through too", async () => {
    // As OpenAI answers the SDK's default `encoding_format: "base64"`: [0.5, -1] as float32 LE.
    // (An upstream that answers floats anyway is re-encoded: src/http/embeddings-encoding.test.ts.)
    const embedding =
      '{"object":"list","data":[{"object":"embedding","index":0,"embedding":"AAAAPwAAgL8="}],"model":"up-chat","usage":{"prompt_tokens":2,"total_tokens":2}}';
    pt.openaiUp.queue({ headers: { "content-type": "application/json" }, body: embedding });
    const embedded = await openai()
      .embeddings.create({ model: "chat", input: "hi", dimensions: 2 })
      .asResponse();
    expect(await embedded.text()).toBe(embedding);
    expect(lastUpstream(pt.openaiUp).path).toBe("/v1/embeddings");
    expect(JSON.parse(lastUpstream(pt.openaiUp).text)).toEqual({
      model: "up-chat",
      input: "hi",
      dimensions: 2,
      encoding_format: "base64",
    });
  });
});
