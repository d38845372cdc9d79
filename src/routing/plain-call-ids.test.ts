import { afterAll, describe, expect, test } from "bun:test";
import type { JsonObject, Operation } from "../core/dialect.ts";
import { createAnthropicProvider } from "../providers/anthropic/anthropic-provider.ts";
import { createOpenAICompatibleProvider } from "../providers/openai-compatible/openai-compatible-provider.ts";
import { OPENAI_PRESETS } from "../providers/openai-compatible/presets.ts";
import type { Provider } from "../providers/provider.ts";
import { chatRequest, fakeProvider, receivedAs, routerFor } from "./router-test-kit.ts";

// A turn a Gemini route answered, sent on to another vendor: its tool-call ids carry Gemini's
// thought signature (gemini-call-id.ts), hundreds of characters OpenAI and Azure refuse (over 40).
const plain = "call_0123456789abcdef0123456789abcdef";
const signed = `${plain}__ts_${"A".repeat(300)}`;

/** What the upstream received, by path: the bodies as sent on the wire. */
const received: { path: string; body: JsonObject }[] = [];
const upstream = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  async fetch(request) {
    const path = new URL(request.url).pathname;
    received.push({ path, body: (await request.json()) as JsonObject });
    if (path.endsWith("/messages"))
      return Response.json({
        id: "msg_1",
        type: "message",
        role: "assistant",
        model: "claude",
        content: [{ type: "text", text: "ok" }],
        stop_reason: "end_turn",
        usage: { input_tokens: 1, output_tokens: 1 },
      });
    if (path.endsWith("/responses"))
      return Response.json({ id: "resp_1", object: "response", status: "completed", output: [] });
    return Response.json({
      id: "c",
      object: "chat.completion",
      choices: [{ index: 0, message: { role: "assistant", content: "ok" }, finish_reason: "stop" }],
    });
  },
});
afterAll(() => upstream.stop(true));
const baseUrl = `http://127.0.0.1:${upstream.port}/v1`;

/**
 * Model `m` on one route of `provider`, the request sent as a front door hands it on (its bytes too);
 * a Responses call continues the stored turns `previous` (a chain the gateway holds).
 */
async function sentUpstream(
  provider: Provider,
  operation: Operation,
  body: JsonObject,
  previous: JsonObject[] = [],
): Promise<JsonObject> {
  const config = {
    providers: [{ name: "up", type: provider.dialect === "anthropic" ? "anthropic" : "openai" }],
    models: [{ name: "m", routes: [{ provider: "up", model: "um" }] }],
  };
  const request = chatRequest("m", {
    operation,
    body,
    ...(operation === "responses" ? { responses: { id: "resp_g", previous, onResponse: () => {} } } : {}),
  });
  received.length = 0;
  await routerFor(config, [{ ...provider, calls: [] }]).router(request);
  expect(received).toHaveLength(1);
  return received[0]?.body ?? {};
}

const chatTurn = (extra: JsonObject = {}): JsonObject => ({
  model: "m",
  messages: [
    { role: "user", content: "weather? __ts_ in a text is no id" },
    {
      role: "assistant",
      content: null,
      tool_calls: [{ id: signed, type: "function", function: { name: "w", arguments: "{}" } }],
    },
    { role: "tool", tool_call_id: signed, content: "18C" },
  ],
  ...extra,
});

const openai = (preset?: keyof typeof OPENAI_PRESETS) =>
  createOpenAICompatibleProvider({
    name: "up",
    baseUrl,
    ...(preset ? { preset: OPENAI_PRESETS[preset] } : {}),
  });

describe("a Gemini turn's signed tool-call ids reach any other upstream plain, on every path", () => {
  test("chat passed through: call and result plain, the rest as sent", async () => {
    const sent = await sentUpstream(openai(), "chat", chatTurn({ x_unknown: { kept: [1] } }));
    expect(sent).toMatchObject({
      model: "um",
      x_unknown: { kept: [1] },
      messages: [
        { role: "user", content: "weather? __ts_ in a text is no id" },
        { tool_calls: [{ id: plain }] },
        { tool_call_id: plain },
      ],
    });
  });

  test("chat steered by client routing fields (serialised, not spliced): plain, the fields gone", async () => {
    const sent = await sentUpstream(openai(), "chat", chatTurn({ custom_llm_provider: "openai" }));
    expect(sent.custom_llm_provider).toBeUndefined();
    expect(sent).toMatchObject({ messages: [{}, { tool_calls: [{ id: plain }] }, { tool_call_id: plain }] });
  });

  test("chat on a preset that rewrites the body (legacyMaxTokens): plain, max_tokens as the preset writes it", async () => {
    const sent = await sentUpstream(openai("ollama"), "chat", chatTurn({ max_completion_tokens: 9 }));
    expect(sent).toMatchObject({
      max_tokens: 9,
      messages: [{}, { tool_calls: [{ id: plain }] }, { tool_call_id: plain }],
    });
  });

  test("Messages passed through to Anthropic: tool_use.id and tool_result.tool_use_id plain", async () => {
    const anthropic = createAnthropicProvider({ name: "up", baseUrl, version: "2023-06-01" });
    const sent = await sentUpstream(anthropic, "messages", {
      model: "m",
      max_tokens: 10,
      messages: [
        { role: "user", content: "weather?" },
        { role: "assistant", content: [{ type: "tool_use", id: signed, name: "w", input: {} }] },
        { role: "user", content: [{ type: "tool_result", tool_use_id: signed, content: "18C" }] },
      ],
    });
    expect(sent).toMatchObject({
      messages: [
        { content: "weather?" },
        { content: [{ type: "tool_use", id: plain, name: "w" }] },
        { content: [{ type: "tool_result", tool_use_id: plain, content: "18C" }] },
      ],
    });
  });

  test("Responses passed through: function_call and function_call_output call_id plain", async () => {
    const responses = { ...openai(), responsesApi: true };
    const sent = await sentUpstream(responses, "responses", {
      model: "m",
      input: [
        { type: "function_call", call_id: signed, name: "w", arguments: "{}" },
        { type: "function_call_output", call_id: signed, output: "18C" },
      ],
    });
    expect(sent).toMatchObject({
      input: [
        { type: "function_call", call_id: plain },
        { type: "function_call_output", call_id: plain },
      ],
    });
  });

  // A chain a Gemini route answered, held by the gateway, continued by its previous_response_id.
  const chain = [
    { type: "message", role: "user", content: "weather?" },
    { type: "function_call", call_id: signed, name: "w", arguments: "{}" },
  ];
  const continued = {
    model: "m",
    previous_response_id: "resp_stored",
    input: [{ type: "function_call_output", call_id: signed, output: "18C" }],
  };

  test("a stored Responses chain expanded for an upstream serving the Responses API: its calls' call_id plain", async () => {
    const sent = await sentUpstream({ ...openai(), responsesApi: true }, "responses", continued, chain);
    expect(sent.previous_response_id).toBeUndefined();
    expect(sent.input).toEqual([
      { type: "message", role: "user", content: "weather?" },
      { type: "function_call", call_id: plain, name: "w", arguments: "{}" },
      { type: "function_call_output", call_id: plain, output: "18C" },
    ]);
  });

  test("a stored Responses chain translated for a chat upstream: call and result plain", async () => {
    const sent = await sentUpstream(openai(), "responses", continued, chain);
    expect(sent).toMatchObject({
      messages: [{ role: "user" }, { tool_calls: [{ id: plain }] }, { tool_call_id: plain }],
    });
  });

  test("a stored Responses chain translated for Anthropic: tool_use and tool_result plain", async () => {
    const anthropic = createAnthropicProvider({ name: "up", baseUrl, version: "2023-06-01" });
    const sent = await sentUpstream(anthropic, "responses", continued, chain);
    expect(sent).toMatchObject({
      messages: [
        { role: "user" },
        { content: [{ type: "tool_use", id: plain }] },
        { content: [{ type: "tool_result", tool_use_id: plain }] },
      ],
    });
  });

  test("a body with the marker but no signed id (a text that says __ts_) goes as received, bytes and all", async () => {
    const passing = { ...fakeProvider("up"), passThrough: true };
    const body = { model: "m", messages: [{ role: "user", content: "x__ts_AAAA" }] };
    const received = receivedAs(body);
    const config = {
      providers: [{ name: "up", type: "openai" }],
      models: [{ name: "m", routes: [{ provider: "up", model: "m" }] }],
    };
    await routerFor(config, [passing]).router(chatRequest("m", { body, received }));
    expect(passing.calls[0]?.native).toBe(received);
  });
});
