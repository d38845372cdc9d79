import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import { Agent, OpenAIResponsesModel, run, setTracingDisabled } from "@openai/agents";
import OpenAI, { APIError } from "openai";
import { encodeSse } from "../core/sse.ts";
import { chatStreamToMessages } from "./anthropic-to-openai/chat-stream-to-messages.ts";
import { drain, replay, sseFixture } from "./fixtures/load-fixture.ts";
import { messagesStreamToChat } from "./openai-to-anthropic/messages-stream-to-chat.ts";
import { chatStreamToResponses } from "./responses/chat-stream-to-responses.ts";
import type { TranslatedStream } from "./stream/stream-driver.ts";

/**
 * Proof that the official SDKs accept our translated streams: a loopback server replays a
 * recorded upstream stream through a translator, and each SDK's own stream helper reads it.
 */
function sse(stream: TranslatedStream): Response {
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      // As the front door does: a failure after the first event is the stream's own error event.
      const events = await drain(stream);
      for (const event of events) controller.enqueue(new TextEncoder().encode(encodeSse(event)));
      controller.close();
    },
  });
  return new Response(body, { headers: { "content-type": "text/event-stream" } });
}

let server: ReturnType<typeof Bun.serve>;
let fixture = "";

beforeAll(() => {
  server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      const path = new URL(request.url).pathname;
      const upstream = replay(sseFixture(fixture));
      if (path === "/v1/messages")
        return sse(chatStreamToMessages(upstream, { requestedModel: "claude-via-gw" }));
      if (path === "/v1/chat/completions") {
        return sse(messagesStreamToChat(upstream, { requestedModel: "gpt-via-gw", includeUsage: true }));
      }
      if (path === "/v1/responses") {
        const body = (await request.json()) as Record<string, unknown>;
        return sse(chatStreamToResponses(upstream, { request: body, id: "resp_sdk" }));
      }
      return new Response("not found", { status: 404 });
    },
  });
});
afterAll(() => server.stop(true));

const baseURL = () => `http://127.0.0.1:${server.port}`;
const options = { apiKey: "test", maxRetries: 0, timeout: 10_000 };
const weatherTool = {
  name: "get_weather",
  description: "Weather",
  input_schema: { type: "object" as const, properties: { location: { type: "string" } } },
};

describe("official SDKs read translated streams", () => {
  test("@anthropic-ai/sdk messages.stream over a translated OpenAI tool-call stream", async () => {
    fixture = "openai/chat-tool-calls.sse.txt";
    const client = new Anthropic({ ...options, baseURL: baseURL() });
    const stream = client.messages.stream({
      model: "claude-via-gw",
      max_tokens: 100,
      messages: [{ role: "user", content: "Weather in Paris and Tokyo?" }],
      tools: [weatherTool],
    });
    const message = await stream.finalMessage();
    expect(message.stop_reason).toBe("tool_use");
    expect(message.content as unknown).toEqual([
      {
        type: "tool_use",
        id: "call_VwQ3Xj9yHk2LmN8pRt5sUa1b",
        name: "get_weather",
        input: { location: "Paris, France", unit: "celsius" },
      },
      {
        type: "tool_use",
        id: "call_Zc7Df4Gh6Jk8Lm0Np2Qr4St6",
        name: "get_weather",
        input: { location: "Tokyo, Japan", unit: "celsius" },
      },
    ]);
    expect(message.usage.output_tokens).toBe(52);
    expect(message.usage.input_tokens).toBe(20);
  });

  test("@anthropic-ai/sdk surfaces a translated mid-stream error", async () => {
    fixture = "openai/chat-error-midstream.sse.txt";
    const client = new Anthropic({ ...options, baseURL: baseURL() });
    const stream = client.messages.stream({
      model: "m",
      max_tokens: 10,
      messages: [{ role: "user", content: "x" }],
    });
    await expect(stream.finalMessage()).rejects.toThrow("Sorry about that");
  });

  test("openai chat.completions.stream over a translated Anthropic tool-use stream", async () => {
    fixture = "anthropic/message-tool-use.sse.txt";
    const client = new OpenAI({ ...options, baseURL: `${baseURL()}/v1` });
    const stream = client.chat.completions.stream({
      model: "gpt-via-gw",
      messages: [{ role: "user", content: "Weather in Paris and Tokyo?" }],
      stream_options: { include_usage: true },
    });
    const completion = await stream.finalChatCompletion();
    const choice = completion.choices[0];
    expect(choice?.finish_reason).toBe("tool_calls");
    expect(choice?.message.content).toBe("I'll check the weather in both cities.");
    expect(
      choice?.message.tool_calls?.map((c) =>
        c.type === "function" ? JSON.parse(c.function.arguments) : null,
      ),
    ).toEqual([
      { location: "Paris, France", unit: "celsius" },
      { location: "Tokyo, Japan", unit: "celsius" },
    ]);
    expect(completion.usage).toMatchObject({ prompt_tokens: 572, completion_tokens: 89 });
  });

  test("openai chat stream surfaces a translated Anthropic error event", async () => {
    fixture = "anthropic/message-error.sse.txt";
    const client = new OpenAI({ ...options, baseURL: `${baseURL()}/v1` });
    const stream = client.chat.completions.stream({ model: "m", messages: [{ role: "user", content: "x" }] });
    await expect(stream.finalChatCompletion()).rejects.toThrow("Overloaded");
  });

  test("openai responses.stream over translated chat chunks (text and tool calls)", async () => {
    const client = new OpenAI({ ...options, baseURL: `${baseURL()}/v1` });
    fixture = "openai/chat-text.sse.txt";
    const text = await client.responses.stream({ model: "gpt-4o-mini", input: "Hi" }).finalResponse();
    expect(text.output_text).toBe("Hello! How can I help you today?");
    expect(text.usage?.total_tokens).toBe(29);

    fixture = "openai/chat-tool-calls.sse.txt";
    const tools = await client.responses
      .stream({
        model: "gpt-4o-mini",
        input: "Weather?",
        tools: [{ type: "function", name: "get_weather", parameters: { type: "object" }, strict: false }],
      })
      .finalResponse();
    const calls = tools.output.filter((item) => item.type === "function_call");
    expect(
      calls.map((c) => (c.type === "function_call" ? [c.call_id, JSON.parse(c.arguments)] : null)),
    ).toEqual([
      ["call_VwQ3Xj9yHk2LmN8pRt5sUa1b", { location: "Paris, France", unit: "celsius" }],
      ["call_Zc7Df4Gh6Jk8Lm0Np2Qr4St6", { location: "Tokyo, Japan", unit: "celsius" }],
    ]);
  });

  test("a translated Responses stream that fails mid-answer (its error event, then response.failed) is an error with the upstream's words and code, read every way", async () => {
    fixture = "openai/chat-error-midstream.sse.txt";
    const client = new OpenAI({ ...options, baseURL: `${baseURL()}/v1` });
    const words = "Sorry about that";
    // The stream helper, and the raw stream: each throws at the error event, with its code.
    await expect(client.responses.stream({ model: "m", input: "x" }).finalResponse()).rejects.toThrow(words);
    const raw = async () => {
      for await (const event of await client.responses.create({ model: "m", input: "x", stream: true }))
        if (event.type === "response.failed") return event;
      return undefined;
    };
    const thrown = await raw().catch((error: unknown) => error);
    expect(thrown).toBeInstanceOf(APIError);
    expect([(thrown as APIError).message, (thrown as APIError).code]).toEqual([
      "The server had an error while processing your request. Sorry about that!",
      "server_error",
    ]);
    // The Agents SDK's streamed run, through the SDK's stream: the same words, not only that the
    // response ended "response.failed".
    setTracingDisabled(true);
    const agent = new Agent({ name: "a", model: new OpenAIResponsesModel(client, "m") });
    const streamed = await run(agent, "x", { stream: true });
    const failed = async () => {
      for await (const _ of streamed);
      await streamed.completed;
      return streamed.error;
    };
    const error = await failed().catch((thrown: unknown) => thrown);
    expect(String(error)).toContain(words);
  });
});
