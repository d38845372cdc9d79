import { beforeAll, describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { FAKE_TOOL_ARGUMENTS } from "../fake-upstream/fake-script.ts";
import { type FakeRequest, type FakeUpstream, startFakeUpstream } from "../fake-upstream/fake-upstream.ts";
import { auditRow } from "./harness/admin-api.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";

// The `anthropic` provider type against the fake in Anthropic mode (it demands x-api-key and
// anthropic-version, as the real API does): the OpenAI SDK translated to Claude and back, and
// the Anthropic SDK passed straight through.

const UPSTREAM_KEY = "sk-ant-upstream-secret-9876";

let fake: FakeUpstream;
let gw: GatewayProcess;
let openai: OpenAI;
let anthropic: Anthropic;

type Seen = FakeRequest & { body: Record<string, unknown> };
const upstreamCall = async (before: number) => (await fake.waitForRequest(before + 1, 10_000)) as Seen;

const WEATHER = {
  type: "function" as const,
  function: {
    name: "get_weather",
    description: "Weather for a city",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  },
};

const fx = gatewayFixture({
  fake: () => startFakeUpstream({ apiKey: UPSTREAM_KEY, requireAnthropicVersion: true }),
  fakeRoutes: false,
  config: (_fakeUrl, { fake }) => ({
    providers: [
      { name: "claude", type: "anthropic", base_url: fake.url, api_key: UPSTREAM_KEY },
      { name: "claude-badkey", type: "anthropic", base_url: fake.url, api_key: "sk-ant-wrong" },
      // A chat server serving a reasoning model (vLLM), behind Claude in a failover.
      { name: "lab", type: "openai", base_url: `${fake.url}/v1`, api_key: UPSTREAM_KEY },
      // DeepSeek's Anthropic API, as `unsigned_thinking: keep` (its default on api.deepseek.com) says.
      {
        name: "deepseek",
        type: "anthropic",
        base_url: fake.url,
        api_key: UPSTREAM_KEY,
        unsigned_thinking: "keep",
      },
    ],
    models: [
      { name: "c1", routes: [{ provider: "claude", model: "claude-up" }] },
      { name: "c-bad", routes: [{ provider: "claude-badkey", model: "claude-up" }] },
      {
        name: "c-failover",
        routes: [
          { provider: "claude", model: "claude-up" },
          { provider: "lab", model: "qwen3-coder" },
        ],
      },
      {
        name: "ds-failover",
        routes: [
          { provider: "deepseek", model: "deepseek-v4-pro" },
          { provider: "lab", model: "qwen3-coder" },
        ],
      },
      // DeepSeek's thinking model on its Anthropic API: it answers with its thinking first.
      { name: "ds-think", routes: [{ provider: "deepseek", model: "deepseek-reasoner" }] },
      {
        name: "c-200k",
        routes: [{ provider: "claude", model: "claude-sonnet-4-5", context_window: 200_000 }],
      },
    ],
    routing: { retries: 0 },
  }),
});

beforeAll(async () => {
  ({ fake, gw } = fx);
  if (!gw.adminKey) throw new Error("no bootstrap admin key printed");
  openai = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: gw.adminKey, maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: gw.url, apiKey: gw.adminKey, maxRetries: 0 });
});

describe("the anthropic provider on the wire", () => {
  test("sends x-api-key and anthropic-version to {base_url}/v1/messages, never the client's key", async () => {
    const before = fake.requests.length;
    await openai.chat.completions.create({ model: "c1", messages: [{ role: "user", content: "hi" }] });
    const up = await upstreamCall(before);
    expect(up.path).toBe("/v1/messages");
    expect(up.headers["x-api-key"]).toBe(UPSTREAM_KEY);
    expect(up.headers["anthropic-version"]).toBe("2023-06-01");
    expect(up.headers.authorization).toBeUndefined();
    expect(JSON.stringify(up.headers)).not.toContain(gw.adminKey ?? "-");
  });

  test("the upstream refusing the gateway's own key is a 502, not the client's 401", async () => {
    const error = await openai.chat.completions
      .create({ model: "c-bad", messages: [{ role: "user", content: "hi" }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(502);
    expect((error as InstanceType<typeof OpenAI.APIError>).message).toContain("credentials");
  });
});

describe("OpenAI SDK → Anthropic route", () => {
  test("non-stream: system, text, finish reason and usage come back as a chat.completion", async () => {
    const before = fake.requests.length;
    const completion = await openai.chat.completions.create({
      model: "c1",
      max_tokens: 64,
      stop: ["END"],
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "first" },
        { role: "assistant", content: "ok" },
        { role: "user", content: "hello claude" },
      ],
    });
    expect(completion.object).toBe("chat.completion");
    expect(completion.model).toBe("c1");
    expect(completion.choices[0]?.message.content).toBe("echo: hello claude");
    expect(completion.choices[0]?.finish_reason).toBe("stop");
    expect(completion.usage?.prompt_tokens).toBeGreaterThan(0);
    expect(completion.usage?.completion_tokens).toBeGreaterThan(0);
    const up = await upstreamCall(before);
    expect(up.body).toMatchObject({
      model: "claude-up",
      max_tokens: 64,
      system: "Be brief.",
      stop_sequences: ["END"],
    });
    expect((up.body.messages as unknown[]).length).toBe(3);
  });

  test("stream: chunks carry the text, then the usage chunk that was asked for", async () => {
    const stream = await openai.chat.completions.create({
      model: "c1",
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: "user", content: "stream from claude" }],
    });
    let text = "";
    let finish: string | null | undefined;
    let usage: OpenAI.CompletionUsage | null | undefined;
    let chunks = 0;
    for await (const chunk of stream) {
      chunks++;
      text += chunk.choices[0]?.delta.content ?? "";
      finish ??= chunk.choices[0]?.finish_reason;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe("echo: stream from claude");
    expect(finish).toBe("stop");
    expect(chunks).toBeGreaterThan(3);
    expect(usage?.completion_tokens).toBeGreaterThan(0);
  });

  test("tool call, non-stream: tool_use becomes tool_calls with JSON arguments", async () => {
    const before = fake.requests.length;
    const completion = await openai.chat.completions.create({
      model: "c1",
      tools: [WEATHER],
      messages: [{ role: "user", content: "weather in Paris?" }],
    });
    const choice = completion.choices[0];
    expect(choice?.finish_reason).toBe("tool_calls");
    const call = choice?.message.tool_calls?.[0];
    expect(call?.type).toBe("function");
    if (call?.type !== "function") throw new Error("no function call");
    expect(call.function.name).toBe("get_weather");
    expect(JSON.parse(call.function.arguments)).toEqual(FAKE_TOOL_ARGUMENTS);
    const up = await upstreamCall(before);
    expect(up.body.tools).toEqual([
      { name: "get_weather", description: "Weather for a city", input_schema: WEATHER.function.parameters },
    ]);
  });

  test("tool call end to end, streamed: argument deltas reassemble, and the tool result reaches Claude", async () => {
    const runner = openai.chat.completions.stream({
      model: "c1",
      tools: [WEATHER],
      messages: [{ role: "user", content: "weather in Paris?" }],
    });
    let argumentDeltas = 0;
    runner.on("chunk", (chunk) => {
      if (chunk.choices[0]?.delta.tool_calls?.[0]?.function?.arguments) argumentDeltas++;
    });
    const first = await runner.finalChatCompletion();
    expect(first.choices[0]?.finish_reason).toBe("tool_calls");
    expect(argumentDeltas).toBeGreaterThan(1);
    const call = first.choices[0]?.message.tool_calls?.[0];
    if (call?.type !== "function") throw new Error("no function call");
    expect(call.id).toMatch(/^toolu_/);
    expect(JSON.parse(call.function.arguments)).toEqual(FAKE_TOOL_ARGUMENTS);

    const before = fake.requests.length;
    const second = await openai.chat.completions.create({
      model: "c1",
      tools: [WEATHER],
      tool_choice: "none",
      messages: [
        { role: "user", content: "weather in Paris?" },
        { role: "assistant", content: null, tool_calls: [call] },
        { role: "tool", tool_call_id: call.id, content: "sunny, 21C" },
      ],
    });
    expect(second.choices[0]?.finish_reason).toBe("stop");
    const up = await upstreamCall(before);
    const messages = up.body.messages as { role: string; content: unknown }[];
    expect(messages[1]).toEqual({
      role: "assistant",
      content: [{ type: "tool_use", id: call.id, name: "get_weather", input: FAKE_TOOL_ARGUMENTS }],
    });
    expect(messages[2]?.role).toBe("user");
    expect(messages[2]?.content).toEqual([
      expect.objectContaining({ type: "tool_result", tool_use_id: call.id, content: "sunny, 21C" }),
    ]);
  });

  test("Anthropic error bodies are understood: a 400 keeps its message, in OpenAI's shape", async () => {
    const error = await openai.chat.completions
      .create({ model: "c1", messages: [{ role: "user", content: "bad [[fake:status=400]]" }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    const api = error as InstanceType<typeof OpenAI.BadRequestError>;
    expect(api.error).toMatchObject({ message: "fake upstream: status 400 on request" });
  });

  test("Claude overloaded (529 overloaded_error) is OpenAI's overload, 503 server_is_overloaded, to chat and Responses callers; the audit row says 503", async () => {
    // OpenAI's own answer to an overload, the code Codex reads as one ("Selected model is at
    // capacity"), where any other 5xx is a 502 (core/overload.ts).
    const overloaded = { type: "service_unavailable_error", code: "server_is_overloaded" };
    const error = (await openai.chat.completions
      .create({ model: "c1", messages: [{ role: "user", content: "busy [[fake:status=529]]" }] })
      .catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(error).toBeInstanceOf(OpenAI.InternalServerError);
    expect([error.status, error.code, error.type]).toEqual([503, overloaded.code, overloaded.type]);
    expect(await auditRow(gw, error.requestID ?? "")).toMatchObject({
      status: 503,
      errorClass: "upstream_error",
    });
    const responses = (await openai.responses
      .create({ model: "c1", input: "busy [[fake:status=529]]" })
      .catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect([responses.status, responses.code, responses.type]).toEqual([
      503,
      overloaded.code,
      overloaded.type,
    ]);
    // Its own dialect's caller gets Claude's 529 as sent.
    const own = (await anthropic.messages
      .create({
        model: "c1",
        max_tokens: 8,
        messages: [{ role: "user", content: "busy [[fake:status=529]]" }],
      })
      .catch((e: unknown) => e)) as InstanceType<typeof Anthropic.APIError>;
    expect([own.status, (own.error as { error?: { type?: string } }).error?.type]).toEqual([
      529,
      "overloaded_error",
    ]);
  });

  test("an `event: error` inside a 200 stream becomes OpenAI's error chunk, and the audit row says the 503 OpenAI answers an overload with", async () => {
    const response = await fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${gw.adminKey}`, "content-type": "application/json" },
      body: JSON.stringify({
        model: "c1",
        stream: true,
        messages: [{ role: "user", content: "one two three four five [[fake:stream-error=4]]" }],
      }),
    });
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toContain('"chat.completion.chunk"');
    // Claude's overloaded_error event as OpenAI says an overload.
    const last = text.trimEnd().split("\n\n").at(-1) ?? "";
    expect(JSON.parse(last.replace(/^data: /, ""))).toEqual({
      error: {
        message: "fake upstream: overloaded mid-stream",
        type: "service_unavailable_error",
        param: null,
        code: "server_is_overloaded",
      },
    });
    expect(text).not.toContain("[DONE]");
    const row = await auditRow(gw, response.headers.get("x-request-id") ?? "");
    expect(row).toMatchObject({ frontDoor: "chat", status: 503, errorClass: "upstream_error", stream: true });

    const stream = await openai.chat.completions.create({
      model: "c1",
      stream: true,
      messages: [{ role: "user", content: "one two three four five [[fake:stream-error=4]]" }],
    });
    const drained = (async () => {
      for await (const _ of stream) {
        // the SDK throws on the error chunk
      }
    })();
    await expect(drained).rejects.toBeInstanceOf(OpenAI.APIError);
  });

  test("what Messages cannot take is named in x-mindgw-dropped and the audit row, clamp and bad arguments too", async () => {
    const before = fake.requests.length;
    const { response } = await openai.chat.completions
      .create({
        model: "c1",
        seed: 7,
        logprobs: true,
        top_logprobs: 2,
        frequency_penalty: 0.5,
        temperature: 1.5,
        n: 1,
        messages: [
          { role: "user", content: "weather?" },
          {
            role: "assistant",
            content: null,
            tool_calls: [
              { id: "toolu_9", type: "function", function: { name: "get_weather", arguments: "not json" } },
            ],
          },
          { role: "tool", tool_call_id: "toolu_9", content: "sunny" },
        ],
        tools: [WEATHER],
      })
      .withResponse();
    const named =
      "seed, logprobs, top_logprobs, frequency_penalty, temperature (clamped to 1), tool_calls.arguments (not a JSON object)";
    expect(response.headers.get("x-mindgw-dropped")).toBe(named);
    const row = await auditRow(gw, response.headers.get("x-request-id") ?? "");
    expect(row.dropped).toBe(named);
    const up = await upstreamCall(before);
    expect(up.body.temperature).toBe(1);
    expect(up.body.seed).toBeUndefined();
    expect((up.body.messages as { content: unknown }[])[1]?.content).toEqual([
      { type: "tool_use", id: "toolu_9", name: "get_weather", input: {} },
    ]);
  });

  test("a dropped field named outside visible ASCII is named percent-encoded, never a 500 (its name came from the client)", async () => {
    for (const stream of [false, true]) {
      const response = await fetch(`${gw.url}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${gw.adminKey}`, "content-type": "application/json" },
        body: JSON.stringify({
          model: "c1",
          stream,
          messages: [{ role: "user", content: "hi" }],
          名前: 1,
          "a\nb": 2,
        }),
      });
      const text = await response.text();
      expect(response.status).toBe(200);
      expect(text).not.toContain("__bunfallback");
      expect(response.headers.get("x-mindgw-dropped")).toBe("%E5%90%8D%E5%89%8D, a%0Ab");
      // The audit row keeps the names as sent.
      expect((await auditRow(gw, response.headers.get("x-request-id") ?? "")).dropped).toBe("名前, a\nb");
    }
  });

  test("audited as frontDoor chat, served by provider:claude", async () => {
    const { response } = await openai.chat.completions
      .create({ model: "c1", messages: [{ role: "user", content: "audit" }] })
      .withResponse();
    const row = await auditRow(gw, response.headers.get("x-request-id") ?? "");
    expect(row).toMatchObject({
      frontDoor: "chat",
      status: 200,
      route: "provider:claude",
      upstreamModel: "claude-up",
    });
    expect(row.inputTokens).toBeGreaterThan(0);
  });
});

describe("Anthropic SDK → Anthropic route (same dialect)", () => {
  test("passes through untouched: unknown fields reach the upstream as sent, only the model renamed", async () => {
    const before = fake.requests.length;
    const sent = {
      model: "c1",
      max_tokens: 32,
      top_k: 5,
      metadata: { user_id: "u-1" },
      x_vendor_extension: { nested: [1, { deep: true }] },
      system: [{ type: "text", text: "sys", cache_control: { type: "ephemeral" } }],
      messages: [{ role: "user", content: [{ type: "text", text: "verbatim please" }] }],
    };
    const response = await fetch(`${gw.url}/v1/messages`, {
      method: "POST",
      headers: { "x-api-key": gw.adminKey ?? "", "content-type": "application/json" },
      body: JSON.stringify(sent),
    });
    expect(response.status).toBe(200);
    const up = await upstreamCall(before);
    expect(up.body).toEqual({ ...sent, model: "claude-up" });
  });

  test("a 600 KB photo reaches a 200k-token route byte for byte: its base64 is no text to the window", async () => {
    // Refused before as 'prompt is too long: 204813 tokens > 200000 maximum', never sent.
    const data = Buffer.from(Uint8Array.from({ length: 600 * 1024 }, (_, i) => i % 251)).toString("base64");
    const messages: Anthropic.MessageParam[] = [
      {
        role: "user",
        content: [
          { type: "text", text: "what is in this photo?" },
          { type: "image", source: { type: "base64", media_type: "image/jpeg", data } },
        ],
      },
    ];
    const before = fake.requests.length;
    const message = await anthropic.messages.create({ model: "c-200k", max_tokens: 50, messages });
    expect(message.content[0]).toMatchObject({ type: "text", text: "echo: what is in this photo?" });
    const up = await upstreamCall(before);
    expect(up.body.messages).toEqual(messages);
  });

  test("non-stream and stream through the SDK", async () => {
    const message = await anthropic.messages.create({
      model: "c1",
      max_tokens: 32,
      messages: [{ role: "user", content: "straight through" }],
    });
    expect(message.content[0]).toMatchObject({ type: "text", text: "echo: straight through" });
    expect(message.model).toBe("claude-up");
    const final = await anthropic.messages
      .stream({ model: "c1", max_tokens: 32, messages: [{ role: "user", content: "streamed through" }] })
      .finalMessage();
    expect(final.content[0]).toMatchObject({ type: "text", text: "echo: streamed through" });
  });

  test("tools pass through, streamed tool_use input included", async () => {
    const final = await anthropic.messages
      .stream({
        model: "c1",
        max_tokens: 64,
        tools: [{ name: "get_weather", input_schema: { type: "object", properties: {} } }],
        messages: [{ role: "user", content: "weather?" }],
      })
      .finalMessage();
    expect(final.stop_reason).toBe("tool_use");
    expect(final.content[0]).toMatchObject({ type: "tool_use", input: FAKE_TOOL_ARGUMENTS });
  });

  test("an upstream error status keeps its message, in Anthropic's shape", async () => {
    const error = await anthropic.messages
      .create({ model: "c1", max_tokens: 8, messages: [{ role: "user", content: "no [[fake:status=400]]" }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.BadRequestError);
    expect((error as InstanceType<typeof Anthropic.BadRequestError>).error).toEqual({
      type: "error",
      error: { type: "invalid_request_error", message: "fake upstream: status 400 on request" },
    });
  });

  test("an in-stream `event: error` reaches the SDK as an error", async () => {
    const stream = anthropic.messages.stream({
      model: "c1",
      max_tokens: 32,
      messages: [{ role: "user", content: "one two three [[fake:stream-error=3]]" }],
    });
    const error = await stream.finalMessage().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.APIError);
    expect(String(error)).toContain("overloaded");
  });

  test("a conversation a chat route answered with reasoning in a failover goes on to Claude without that unsigned thinking, named", async () => {
    // Claude is overloaded: the chat route answers, its reasoning a thinking block with no signature.
    fake.enqueue({ status: 529 }, { reasoning: "Listing the files first." });
    const tools: Anthropic.Tool[] = [{ name: "Bash", input_schema: { type: "object", properties: {} } }];
    const thinking = { type: "enabled", budget_tokens: 1024 } as const;
    const messages: Anthropic.MessageParam[] = [{ role: "user", content: "list the files" }];
    const first = await anthropic.messages.create({
      model: "c-failover",
      max_tokens: 2048,
      tools,
      thinking,
      messages,
    });
    expect(first.content[0]).toEqual({
      type: "thinking",
      thinking: "Listing the files first.",
      signature: "",
    });
    const call = first.content.find((block) => block.type === "tool_use");
    messages.push(
      { role: "assistant", content: first.content },
      { role: "user", content: [{ type: "tool_result", tool_use_id: call?.id ?? "", content: "a.txt" }] },
    );
    // Claude is back. It refuses thinking it did not sign ("Invalid `signature` in `thinking`
    // block"), and, with extended thinking, a tool loop whose turn does not begin with thinking.
    const before = fake.requests.length;
    const { data, response } = await anthropic.messages
      .create({ model: "c-failover", max_tokens: 2048, tools, thinking, messages })
      .withResponse();
    expect(data.content[0]).toMatchObject({ type: "text" });
    const up = await upstreamCall(before);
    expect(up.path).toBe("/v1/messages");
    expect((up.body.messages as { content: unknown }[])[1]?.content).toEqual([call]);
    expect(up.body.thinking).toBeUndefined();
    const named = "content.thinking (unsigned), thinking";
    expect(response.headers.get("x-mindgw-dropped")).toBe(named);
    const row = await auditRow(gw, response.headers.get("x-request-id") ?? "");
    expect([row.route, row.dropped]).toEqual(["provider:claude", named]);
  });

  test("to DeepSeek's Anthropic API, the unsigned thinking of a chat route's turn goes back as received, which its thinking mode requires", async () => {
    // DeepSeek is overloaded: the chat route answers, its reasoning a thinking block with no signature.
    fake.enqueue({ status: 529 }, { reasoning: "Listing the files first." });
    const tools: Anthropic.Tool[] = [{ name: "Bash", input_schema: { type: "object", properties: {} } }];
    const messages: Anthropic.MessageParam[] = [{ role: "user", content: "list the files" }];
    const first = await anthropic.messages.create({
      model: "ds-failover",
      max_tokens: 2048,
      tools,
      messages,
    });
    expect(first.content[0]).toMatchObject({ type: "thinking", signature: "" });
    const call = first.content.find((block) => block.type === "tool_use");
    messages.push(
      { role: "assistant", content: first.content },
      { role: "user", content: [{ type: "tool_result", tool_use_id: call?.id ?? "", content: "a.txt" }] },
    );
    // DeepSeek is back; it refuses a tool-call turn without its thinking ("must be passed back").
    const before = fake.requests.length;
    const { data, response } = await anthropic.messages
      .create({ model: "ds-failover", max_tokens: 2048, tools, messages })
      .withResponse();
    expect(data.content[0]).toMatchObject({ type: "text" });
    const up = await upstreamCall(before);
    expect((up.body.messages as { content: unknown }[])[1]?.content).toEqual(first.content);
    expect(response.headers.get("x-mindgw-dropped")).toBeNull();
    const row = await auditRow(gw, response.headers.get("x-request-id") ?? "");
    expect([row.route, row.dropped]).toEqual(["provider:deepseek", undefined]);
  });

  test("to DeepSeek's Anthropic API, Claude's redacted_thinking, which it does not take, is left out and named; Claude's signed thinking goes as it is", async () => {
    const tools: Anthropic.Tool[] = [{ name: "Bash", input_schema: { type: "object", properties: {} } }];
    const signed = { type: "thinking" as const, thinking: "Listing first.", signature: "EqQBCkYIBxgCKkA" };
    const redacted = { type: "redacted_thinking" as const, data: "EmwKAhgBEgy3va" };
    const call = { type: "tool_use" as const, id: "toolu_1", name: "Bash", input: {} };
    const before = fake.requests.length;
    const { data, response } = await anthropic.messages
      .create({
        model: "ds-failover",
        max_tokens: 2048,
        tools,
        messages: [
          { role: "user", content: "list the files" },
          { role: "assistant", content: [signed, redacted, call] },
          { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: "a.txt" }] },
        ],
      })
      .withResponse();
    expect(data.content[0]).toMatchObject({ type: "text" });
    const up = await upstreamCall(before);
    expect((up.body.messages as { content: unknown }[])[1]?.content).toEqual([signed, call]);
    expect(response.headers.get("x-mindgw-dropped")).toBe("content.redacted_thinking");
    const row = await auditRow(gw, response.headers.get("x-request-id") ?? "");
    expect([row.route, row.dropped]).toEqual(["provider:deepseek", "content.redacted_thinking"]);
  });

  test("to DeepSeek's Anthropic API, a tool-call turn left without thinking (all of it redacted, or none written) leads with an empty unsigned block", async () => {
    // DeepSeek's thinking mode refuses a tool-call turn without thinking ("must be passed back").
    const tools: Anthropic.Tool[] = [{ name: "Bash", input_schema: { type: "object", properties: {} } }];
    const redacted = { type: "redacted_thinking" as const, data: "EmwKAhgBEgy3va" };
    const call = (id: string) => ({ type: "tool_use" as const, id, name: "Bash", input: {} });
    const result = (id: string) => ({
      role: "user" as const,
      content: [{ type: "tool_result" as const, tool_use_id: id, content: "a.txt" }],
    });
    const empty = { type: "thinking", thinking: "", signature: "" };
    const before = fake.requests.length;
    const { data, response } = await anthropic.messages
      .create({
        model: "ds-failover",
        max_tokens: 2048,
        tools,
        messages: [
          { role: "user", content: "list the files" },
          { role: "assistant", content: [redacted, call("toolu_1")] },
          result("toolu_1"),
          // A turn a chat route answered without reasoning, in a failover.
          { role: "assistant", content: [call("toolu_2")] },
          result("toolu_2"),
        ],
      })
      .withResponse();
    expect(data.content[0]).toMatchObject({ type: "text" });
    const up = await upstreamCall(before);
    const sent = up.body.messages as { content: unknown }[];
    expect([sent[1]?.content, sent[3]?.content]).toEqual([
      [empty, call("toolu_1")],
      [empty, call("toolu_2")],
    ]);
    const row = await auditRow(gw, response.headers.get("x-request-id") ?? "");
    expect([row.route, row.status, row.dropped]).toEqual([
      "provider:deepseek",
      200,
      "content.redacted_thinking",
    ]);
  });

  test("count_tokens passes through to the Anthropic route, audited as count_tokens", async () => {
    const before = fake.requests.length;
    const { data, response } = await anthropic.messages
      .countTokens({ model: "c1", messages: [{ role: "user", content: "count these four words" }] })
      .withResponse();
    expect(data.input_tokens).toBeGreaterThan(0);
    const up = await upstreamCall(before);
    expect(up.path).toBe("/v1/messages/count_tokens");
    expect(up.body.model).toBe("claude-up");
    expect(up.headers["x-api-key"]).toBe(UPSTREAM_KEY);
    const row = await auditRow(gw, response.headers.get("x-request-id") ?? "");
    expect(row).toMatchObject({ frontDoor: "count_tokens", status: 200, route: "provider:claude" });
  });
});

describe("OpenAI SDK → DeepSeek's Anthropic API (unsigned_thinking: keep)", () => {
  // DeepSeek's thinking mode refuses a tool-call turn sent back without its thinking ("must be
  // passed back"). The first turn's reasoning comes from the chat route DeepSeek failed over to.
  const reasoning = "Listing the files first.";
  const unsigned = { type: "thinking", thinking: reasoning, signature: "" };
  type Turn = { role: string; content: unknown[] };

  test("a chat caller's reasoning_content goes back as a thinking block without signature", async () => {
    fake.enqueue({ status: 529 }, { reasoning });
    const tools = [{ type: "function" as const, function: { name: "Bash", parameters: { type: "object" } } }];
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: "user", content: "list the files" }];
    const first = await openai.chat.completions.create({ model: "ds-failover", tools, messages });
    const answer = first.choices[0]?.message;
    expect(answer).toMatchObject({ reasoning_content: reasoning });
    const call = answer?.tool_calls?.[0];
    // The message as the SDK gave it, its reasoning_content included, as DeepSeek asks.
    messages.push(answer as OpenAI.ChatCompletionMessageParam, {
      role: "tool",
      tool_call_id: call?.id ?? "",
      content: "a.txt",
    });
    const before = fake.requests.length;
    const { data, response } = await openai.chat.completions
      .create({ model: "ds-failover", tools, messages })
      .withResponse();
    expect(data.choices[0]?.message.content).toBeString();
    const up = await upstreamCall(before);
    expect(up.path).toBe("/v1/messages");
    expect((up.body.messages as Turn[])[1]?.content[0]).toEqual(unsigned);
    const row = await auditRow(gw, response.headers.get("x-request-id") ?? "");
    expect([row.route, row.status]).toEqual(["provider:deepseek", 200]);
  });

  test("a chat caller's tool-call turn sent back without reasoning_content goes with an empty thinking block", async () => {
    // Most chat SDKs keep no reasoning_content in the history (and a turn another route answered
    // has none): DeepSeek's thinking mode refuses the tool-call turn without thinking all the same.
    const tools = [{ type: "function" as const, function: { name: "Bash", parameters: { type: "object" } } }];
    const call = { id: "call_1", type: "function" as const, function: { name: "Bash", arguments: "{}" } };
    const before = fake.requests.length;
    const { data, response } = await openai.chat.completions
      .create({
        model: "ds-failover",
        tools,
        messages: [
          { role: "user", content: "list the files" },
          { role: "assistant", content: null, tool_calls: [call] },
          { role: "tool", tool_call_id: "call_1", content: "a.txt" },
        ],
      })
      .withResponse();
    expect(data.choices[0]?.message.content).toBeString();
    const up = await upstreamCall(before);
    expect((up.body.messages as Turn[])[1]?.content).toEqual([
      { type: "thinking", thinking: "", signature: "" },
      { type: "tool_use", id: "call_1", name: "Bash", input: {} },
    ]);
    const row = await auditRow(gw, response.headers.get("x-request-id") ?? "");
    expect([row.route, row.status]).toEqual(["provider:deepseek", 200]);
  });

  test("a Responses caller's reasoning item goes back as a thinking block without signature (Codex, store: false)", async () => {
    fake.enqueue({ status: 529 }, { reasoning });
    const tools: OpenAI.Responses.Tool[] = [
      { type: "function", name: "Bash", parameters: { type: "object" }, strict: false },
    ];
    const input: OpenAI.Responses.ResponseInputItem[] = [{ role: "user", content: "list the files" }];
    const first = await openai.responses.create({ model: "ds-failover", tools, input, store: false });
    expect(first.output[0]).toMatchObject({ type: "reasoning", summary: [{ text: reasoning }] });
    const call = first.output.find((item) => item.type === "function_call");
    // Codex sends the whole conversation back each turn, the reasoning items with it.
    input.push(...(first.output as OpenAI.Responses.ResponseInputItem[]), {
      type: "function_call_output",
      call_id: call?.type === "function_call" ? call.call_id : "",
      output: "a.txt",
    });
    const before = fake.requests.length;
    const second = await openai.responses.create({ model: "ds-failover", tools, input, store: false });
    expect(second.status).toBe("completed");
    const up = await upstreamCall(before);
    expect(up.path).toBe("/v1/messages");
    expect((up.body.messages as Turn[])[1]?.content[0]).toEqual(unsigned);
  });

  // DeepSeek's own thinking (the fake's thinking model writes "Thinking over N messages.", N the
  // messages it was sent), which its thinking mode wants back on the tool-call turn, not empty.
  const think = (messages: number) => ({
    type: "thinking",
    thinking: `Thinking over ${messages} messages.`,
    signature: "",
  });
  const bash = { type: "function" as const, function: { name: "Bash", parameters: { type: "object" } } };

  type ToolCall = OpenAI.ChatCompletionMessageFunctionToolCall;
  type Answer = { content?: string | null; reasoning_content?: string; tool_calls?: ToolCall[] };
  type Delta = OpenAI.ChatCompletionChunk.Choice.Delta & { reasoning_content?: string };

  /** The chat answer as the caller reads it: whole, or gathered from its chunks. */
  async function chatAnswer(stream: boolean, messages: OpenAI.ChatCompletionMessageParam[]): Promise<Answer> {
    const params = { model: "ds-think", tools: [bash], messages };
    if (!stream) return ((await openai.chat.completions.create(params)).choices[0]?.message ?? {}) as Answer;
    const answer: Answer & { tool_calls: ToolCall[] } = { tool_calls: [] };
    for await (const chunk of await openai.chat.completions.create({ ...params, stream: true })) {
      const delta: Delta | undefined = chunk.choices[0]?.delta;
      if (delta?.reasoning_content)
        answer.reasoning_content = (answer.reasoning_content ?? "") + delta.reasoning_content;
      for (const { index, id, function: named } of delta?.tool_calls ?? []) {
        if (id)
          answer.tool_calls[index] = {
            id,
            type: "function",
            function: { name: named?.name ?? "", arguments: "" },
          };
        const open = answer.tool_calls[index];
        if (open) open.function.arguments += named?.arguments ?? "";
      }
    }
    return answer;
  }

  test.each([false, true])(
    "DeepSeek's own thinking reaches a chat caller as reasoning_content, and goes back leading its tool-call turn (stream: %p)",
    async (stream) => {
      const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: "user", content: "list the files" }];
      const first = await chatAnswer(stream, messages);
      expect(first.reasoning_content).toBe(think(1).thinking);
      const call = first.tool_calls?.[0];
      expect(call?.function.name).toBe("Bash");
      // The message as the caller got it, its reasoning_content included, as DeepSeek asks.
      messages.push(
        {
          role: "assistant",
          content: null,
          tool_calls: first.tool_calls ?? [],
          ...first,
        } as OpenAI.ChatCompletionMessageParam,
        { role: "tool", tool_call_id: call?.id ?? "", content: "a.txt" },
      );
      const before = fake.requests.length;
      const second = await chatAnswer(stream, messages);
      expect(second.reasoning_content).toBe(think(3).thinking);
      const up = await upstreamCall(before);
      expect((up.body.messages as Turn[])[1]?.content).toEqual([
        think(1),
        { type: "tool_use", id: call?.id, name: "Bash", input: { city: "Paris", days: 3 } },
      ]);
    },
  );

  test.each([
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ])(
    "DeepSeek's own thinking reaches a Responses caller as a reasoning item, its signature the item's encrypted_content, and goes back leading its tool-call turn, signed as DeepSeek signed it (stream: %p, chained: %p)",
    async (stream, chained) => {
      const tools: OpenAI.Responses.Tool[] = [
        { type: "function", name: "Bash", parameters: { type: "object" }, strict: false },
      ];
      const ask = async (body: OpenAI.Responses.ResponseCreateParamsNonStreaming) =>
        stream
          ? openai.responses.stream({ ...body, stream: true }).finalResponse()
          : openai.responses.create(body);
      const input: OpenAI.Responses.ResponseInputItem[] = [{ role: "user", content: "list the files" }];
      const first = await ask({ model: "ds-think", tools, input, store: chained });
      expect(first.output[0]).toMatchObject({ type: "reasoning", summary: [{ text: think(1).thinking }] });
      // DeepSeek signs a block with its message's id, carried marked (the gateway's, not OpenAI's)
      // as the `deepseek` provider's.
      const sealed = first.output[0]?.type === "reasoning" ? first.output[0].encrypted_content : undefined;
      expect(sealed).toMatch(/^mindgw-thinking:v2:deepseek:msg_/);
      const call = first.output.find((item) => item.type === "function_call");
      const result: OpenAI.Responses.ResponseInputItem = {
        type: "function_call_output",
        call_id: call?.type === "function_call" ? call.call_id : "",
        output: "a.txt",
      };
      const before = fake.requests.length;
      // Chained: the stored answer goes on by its id; else the whole conversation is sent back (Codex).
      const second = chained
        ? await ask({
            model: "ds-think",
            tools,
            input: [result],
            previous_response_id: first.id,
            store: true,
          })
        : await ask({
            model: "ds-think",
            tools,
            input: [...input, ...(first.output as OpenAI.Responses.ResponseInputItem[]), result],
            store: false,
          });
      expect(second.status).toBe("completed");
      const up = await upstreamCall(before);
      expect((up.body.messages as Turn[])[1]?.content[0]).toEqual({
        ...think(1),
        signature: sealed?.slice("mindgw-thinking:v2:deepseek:".length),
      });
    },
  );
});
