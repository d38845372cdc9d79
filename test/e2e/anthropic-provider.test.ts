import { describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { FAKE_TOOL_ARGUMENTS } from "../fake-upstream/fake-script.ts";
import { auditRow } from "./harness/admin-api.ts";
import { anthropicProviderFixture, UPSTREAM_KEY, WEATHER } from "./harness/anthropic-provider-fixture.ts";
import { anthropicFailure, openaiFailure } from "./harness/sdk-failure.ts";

// The `anthropic` provider type on the wire, and the OpenAI SDK translated to Claude and back.

const fx = anthropicProviderFixture();
const { upstreamCall } = fx;

describe("the anthropic provider on the wire", () => {
  test("sends x-api-key and anthropic-version to {base_url}/v1/messages, never the client's key", async () => {
    const before = fx.fake.requests.length;
    await fx.openai.chat.completions.create({ model: "c1", messages: [{ role: "user", content: "hi" }] });
    const up = await upstreamCall(before);
    expect(up.path).toBe("/v1/messages");
    expect(up.headers["x-api-key"]).toBe(UPSTREAM_KEY);
    expect(up.headers["anthropic-version"]).toBe("2023-06-01");
    expect(up.headers.authorization).toBeUndefined();
    expect(JSON.stringify(up.headers)).not.toContain(fx.gw.adminKey ?? "-");
  });

  test("the upstream refusing the gateway's own key is a 502, not the client's 401", async () => {
    const error = await openaiFailure(
      fx.openai.chat.completions.create({ model: "c-bad", messages: [{ role: "user", content: "hi" }] }),
    );
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect(error.status).toBe(502);
    expect(error.message).toContain("credentials");
  });
});

describe("OpenAI SDK → Anthropic route", () => {
  test("non-stream: system, text, finish reason and usage come back as a chat.completion", async () => {
    const before = fx.fake.requests.length;
    const completion = await fx.openai.chat.completions.create({
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
    const stream = await fx.openai.chat.completions.create({
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
    const before = fx.fake.requests.length;
    const completion = await fx.openai.chat.completions.create({
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
    const runner = fx.openai.chat.completions.stream({
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

    const before = fx.fake.requests.length;
    const second = await fx.openai.chat.completions.create({
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
    const error = await openaiFailure(
      fx.openai.chat.completions.create({
        model: "c1",
        messages: [{ role: "user", content: "bad [[fake:status=400]]" }],
      }),
    );
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error.error).toMatchObject({ message: "fake upstream: status 400 on request" });
  });

  test("Claude overloaded (529 overloaded_error) is OpenAI's overload, 503 server_is_overloaded, to chat and Responses callers; the audit row says 503", async () => {
    // OpenAI's own answer to an overload, the code Codex reads as one ("Selected model is at
    // capacity"), where any other 5xx is a 502 (core/overload.ts).
    const overloaded = { type: "service_unavailable_error", code: "server_is_overloaded" };
    const error = await openaiFailure(
      fx.openai.chat.completions.create({
        model: "c1",
        messages: [{ role: "user", content: "busy [[fake:status=529]]" }],
      }),
    );
    expect(error).toBeInstanceOf(OpenAI.InternalServerError);
    expect([error.status, error.code, error.type]).toEqual([503, overloaded.code, overloaded.type]);
    expect(await auditRow(fx.gw, error.requestID ?? "")).toMatchObject({
      status: 503,
      errorClass: "upstream_error",
    });
    const responses = await openaiFailure(
      fx.openai.responses.create({ model: "c1", input: "busy [[fake:status=529]]" }),
    );
    expect([responses.status, responses.code, responses.type]).toEqual([
      503,
      overloaded.code,
      overloaded.type,
    ]);
    // Its own dialect's caller gets Claude's 529 as sent.
    const own = await anthropicFailure(
      fx.anthropic.messages.create({
        model: "c1",
        max_tokens: 8,
        messages: [{ role: "user", content: "busy [[fake:status=529]]" }],
      }),
    );
    expect([own.status, (own.error as { error?: { type?: string } }).error?.type]).toEqual([
      529,
      "overloaded_error",
    ]);
  });

  test("an `event: error` inside a 200 stream becomes OpenAI's error chunk, and the audit row says the 503 OpenAI answers an overload with", async () => {
    const response = await fetch(`${fx.gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${fx.gw.adminKey}`, "content-type": "application/json" },
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
    const row = await auditRow(fx.gw, response.headers.get("x-request-id") ?? "");
    expect(row).toMatchObject({ frontDoor: "chat", status: 503, errorClass: "upstream_error", stream: true });

    const stream = await fx.openai.chat.completions.create({
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

  test("a top-level cache_control (OpenRouter's automatic caching) and a prompt_cache_key ask Claude's automatic caching, not named", async () => {
    const before = fx.fake.requests.length;
    const messages = [{ role: "user" as const, content: "cache me" }];
    // OpenRouter's form, its ttl kept; the OpenAI SDK sends a field it does not type as given.
    const marked = { model: "c1", messages, cache_control: { type: "ephemeral", ttl: "1h" } };
    const { response } = await fx.openai.chat.completions.create(marked).withResponse();
    expect(response.headers.get("x-mindgw-dropped")).toBeNull();
    expect((await upstreamCall(before)).body.cache_control).toEqual({ type: "ephemeral", ttl: "1h" });
    const keyed = await fx.openai.chat.completions
      .create({ model: "c1", messages, prompt_cache_key: "session-1" })
      .withResponse();
    expect(keyed.response.headers.get("x-mindgw-dropped")).toBeNull();
    expect((await upstreamCall(before + 1)).body.cache_control).toEqual({ type: "ephemeral" });
    // Beside a last part the caller marked 5m, a 1h one Anthropic answers 400: left out and named.
    const part = { type: "text", text: "cache me", cache_control: { type: "ephemeral" } };
    const unfit = { ...marked, messages: [{ role: "user" as const, content: [part] }] };
    const refused = await fx.openai.chat.completions.create(unfit as never).withResponse();
    expect(refused.response.headers.get("x-mindgw-dropped")).toBe("cache_control");
    const sent = (await upstreamCall(before + 2)).body;
    expect(sent.cache_control).toBeUndefined();
    expect(sent.messages).toEqual([{ role: "user", content: [part] }]);
  });

  test("what Messages cannot take is named in x-mindgw-dropped and the audit row, clamp and bad arguments too", async () => {
    const before = fx.fake.requests.length;
    const { response } = await fx.openai.chat.completions
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
    const row = await auditRow(fx.gw, response.headers.get("x-request-id") ?? "");
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
      const response = await fetch(`${fx.gw.url}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${fx.gw.adminKey}`, "content-type": "application/json" },
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
      expect((await auditRow(fx.gw, response.headers.get("x-request-id") ?? "")).dropped).toBe("名前, a\nb");
    }
  });

  test("audited as frontDoor chat, served by provider:claude", async () => {
    const { response } = await fx.openai.chat.completions
      .create({ model: "c1", messages: [{ role: "user", content: "audit" }] })
      .withResponse();
    const row = await auditRow(fx.gw, response.headers.get("x-request-id") ?? "");
    expect(row).toMatchObject({
      frontDoor: "chat",
      status: 200,
      route: "provider:claude",
      upstreamModel: "claude-up",
    });
    expect(row.inputTokens).toBeGreaterThan(0);
  });
});
