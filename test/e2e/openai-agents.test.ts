import { describe, expect, test } from "bun:test";
import {
  Agent,
  ModelRefusalError,
  run,
  setDefaultOpenAIClient,
  setTracingDisabled,
  tool,
} from "@openai/agents";
import OpenAI from "openai";
import { z } from "zod";
import { startCannedUpstream } from "../fake-upstream/canned-upstream.ts";
import { runInNetns, seen } from "./clients/run-in-netns.ts";
import { createKey } from "./harness/admin-api.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";

// The OpenAI Agents SDK 0.20.0 (`@openai/agents`, Responses API by default), unchanged but for
// the OpenAI client's base URL and key: a function tool, a hosted tool, reasoning and text
// settings, structured output. Run inside a network namespace with only loopback.

type Row = { frontDoor: string; status: number; dropped?: string };

/**
 * A gateway in front of a canned chat upstream (no Responses API) that checks a conversation's
 * tool calls as OpenAI's chat API does, for the refusal and text-after-a-call tests.
 */
const fx = gatewayFixture({
  fake: async () => startCannedUpstream({ answersCalls: true }),
  fakeRoutes: false,
  config: (url) => ({
    providers: [{ name: "chat", type: "openai", base_url: `${url}/v1`, responses_api: false }],
    models: [{ name: "agent-model", routes: [{ provider: "chat", model: "up-model" }] }],
    routing: { retries: 0 },
  }),
});

describe("OpenAI Agents SDK through mindgw", () => {
  test("OpenAI-type upstream: function tool loop, settings carried (metadata stored, not sent), hosted tool dropped and named, structured output", async () => {
    const report = await runInNetns("agents.scenario.ts", { upstream: "openai" });
    expect(report.client).toMatchObject({ exitCode: 0 });
    expect(JSON.parse(report.client.stdout)).toEqual({ forecast: "echo: sunny in Paris for 3 days" });
    const [first, second] = seen(report);
    expect(first?.body).toMatchObject({
      reasoning_effort: "high",
      verbosity: "low",
      service_tier: "flex",
      prompt_cache_key: "forecasts",
      response_format: { type: "json_schema" },
    });
    // OpenAI's chat API refuses metadata without store: true: it is not sent, and not lost either,
    // the stored response keeps it (and is read back with it).
    expect(first?.body.metadata).toBeUndefined();
    expect(JSON.parse(report.files?.["stored-metadata"] ?? "null")).toEqual({ team: "agents" });
    const tools = first?.body.tools as { function: { name: string } }[];
    expect(tools.map((tool) => tool.function.name)).toEqual(["get_weather"]);
    const history = second?.body.messages as { role: string; content: unknown }[];
    expect(history.at(-1)).toMatchObject({ role: "tool", content: "sunny in Paris for 3 days" });
    const rows = (report.audit as Row[]).filter((row) => row.frontDoor === "responses");
    expect(rows.map((row) => [row.status, row.dropped])).toEqual([
      [200, "tools.web_search"],
      [200, "tools.web_search"],
    ]);
  });

  test("over the Responses WebSocket transport: the same agent, a row for each upgrade and one a turn", async () => {
    const report = await runInNetns("agents.scenario.ts", { upstream: "openai", transport: "websocket" });
    expect(report.client).toMatchObject({ exitCode: 0 });
    expect(JSON.parse(report.client.stdout)).toEqual({ forecast: "echo: sunny in Paris for 3 days" });
    const [first, second] = seen(report);
    expect(first?.body).toMatchObject({ reasoning_effort: "high" });
    expect(first?.body.metadata).toBeUndefined();
    const history = second?.body.messages as { role: string; content: unknown }[];
    expect(history.at(-1)).toMatchObject({ role: "tool", content: "sunny in Paris for 3 days" });
    const rows = report.audit as Row[];
    // The SDK opens a connection for each model call unless its provider is told to keep them
    // (`cacheResponsesWebSocketModels`): each upgrade a 101 row, each turn a row of its own.
    const sockets = rows.filter((row) => row.frontDoor === "responses_socket");
    expect(sockets.length).toBeGreaterThanOrEqual(1);
    expect(sockets.every((row) => row.status === 101)).toBe(true);
    expect(rows.filter((row) => row.frontDoor === "responses").map((row) => row.status)).toEqual([200, 200]);
  });

  test("a chat upstream's refusal ends the run after one model call with ModelRefusalError, streamed or not", async () => {
    // The refusal as OpenAI's chat API sends it: `refusal` in place of the text.
    const REFUSAL = "I'm sorry, I can't help with that.";
    const up = fx.fake;
    const gw = fx.gw;
    const { key } = await createKey(gw, { name: "agent" });
    setTracingDisabled(true);
    setDefaultOpenAIClient(new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: key, maxRetries: 0 }));
    const agent = new Agent({ name: "a", instructions: "Help.", model: "agent-model" });
    const message = { role: "assistant", content: null, refusal: REFUSAL };
    const usage = { prompt_tokens: 5, completion_tokens: 5, total_tokens: 10 };
    up.queue({
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        id: "chatcmpl-r",
        object: "chat.completion",
        created: 1,
        model: "up-model",
        choices: [{ index: 0, message, finish_reason: "stop" }],
        usage,
      }),
    });
    const whole = await run(agent, "Do the bad thing.").catch((error: unknown) => error);
    expect(whole).toBeInstanceOf(ModelRefusalError);
    expect((whole as ModelRefusalError).message).toContain(REFUSAL);
    expect(up.requests).toHaveLength(1);

    const chunk = (delta: object, finish: string | null = null, extra: object = {}) =>
      `data: ${JSON.stringify({ id: "chatcmpl-s", object: "chat.completion.chunk", created: 1, model: "up-model", choices: [{ index: 0, delta, finish_reason: finish }], ...extra })}\n\n`;
    up.queue({
      headers: { "content-type": "text/event-stream" },
      body: [
        chunk({ role: "assistant", content: "", refusal: null }),
        chunk({ refusal: "I'm sorry, " }),
        chunk({ refusal: "I can't help with that." }),
        chunk({}, "stop"),
        `data: ${JSON.stringify({ id: "chatcmpl-s", object: "chat.completion.chunk", created: 1, model: "up-model", choices: [], usage })}\n\n`,
        "data: [DONE]\n\n",
      ],
    });
    const streamed = await run(agent, "Do the bad thing.", { stream: true });
    // Read to the end, as an app showing the stream does: the refusal ends it.
    const failed = await Array.fromAsync(streamed).catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(ModelRefusalError);
    expect((failed as ModelRefusalError).message).toContain(REFUSAL);
    expect(up.requests).toHaveLength(2);
  });

  test("a chat server's text after its call: the next turn sends the call's result straight after it, as OpenAI's chat API requires", async () => {
    const up = fx.fake;
    const { key } = await createKey(fx.gw, { name: "agent-text-after-call" });
    setTracingDisabled(true);
    setDefaultOpenAIClient(new OpenAI({ baseURL: `${fx.gw.url}/v1`, apiKey: key, maxRetries: 0 }));
    const weather = tool({
      name: "get_weather",
      description: "The weather in a city",
      parameters: z.object({ city: z.string() }),
      execute: async ({ city }) => `sunny in ${city}`,
    });
    const agent = new Agent({ name: "a", instructions: "Help.", model: "agent-model", tools: [weather] });
    const chunk = (id: string, delta: object, finish: string | null = null) =>
      `data: ${JSON.stringify({ id, object: "chat.completion.chunk", created: 1, model: "up-model", choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
    const call = {
      index: 0,
      id: "call_1",
      type: "function",
      function: { name: "get_weather", arguments: '{"city":"Paris"}' },
    };
    const sse = { "content-type": "text/event-stream" };
    up.queue(
      // The call, then "\n\n" of text, as some chat servers stream after one: the Responses answer
      // is a function_call item, then a message item.
      {
        headers: sse,
        body: [
          chunk("chatcmpl-1", { role: "assistant", tool_calls: [call] }),
          chunk("chatcmpl-1", { content: "\n\n" }),
          chunk("chatcmpl-1", {}, "tool_calls"),
          "data: [DONE]\n\n",
        ],
      },
      {
        headers: sse,
        body: [
          chunk("chatcmpl-2", { role: "assistant", content: "Sunny in Paris." }),
          chunk("chatcmpl-2", {}, "stop"),
          "data: [DONE]\n\n",
        ],
      },
    );
    const before = up.requests.length;
    const streamed = await run(agent, "Weather in Paris?", { stream: true });
    await Array.fromAsync(streamed);
    expect(streamed.finalOutput).toBe("Sunny in Paris.");
    const second = JSON.parse(up.requests[before + 1]?.text ?? "{}") as { messages: unknown[] };
    expect(second.messages.slice(-2)).toEqual([
      {
        role: "assistant",
        content: "\n\n",
        tool_calls: [{ id: "call_1", type: "function", function: call.function }],
      },
      { role: "tool", tool_call_id: "call_1", content: "sunny in Paris" },
    ]);
    expect(up.requests).toHaveLength(before + 2);
  });

  test("Anthropic-type upstream: the same agent, Responses → chat → Messages", async () => {
    const report = await runInNetns("agents.scenario.ts", { upstream: "anthropic" });
    expect(report.client).toMatchObject({ exitCode: 0 });
    expect(JSON.parse(report.client.stdout)).toEqual({ forecast: "echo: sunny in Paris for 3 days" });
    const [first] = seen(report);
    expect(first?.path).toBe("/v1/messages");
    expect(first?.body.output_config).toMatchObject({ effort: "high", format: { type: "json_schema" } });
  });
});
