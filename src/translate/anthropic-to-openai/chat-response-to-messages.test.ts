import { describe, expect, test } from "bun:test";
import { GatewayError } from "../../core/gateway-error.ts";
import { jsonFixture } from "../fixtures/load-fixture.ts";
import { chatResponseToMessages } from "./chat-response-to-messages.ts";

describe("chatResponseToMessages", () => {
  test("text answer", () => {
    expect(chatResponseToMessages(jsonFixture("openai/chat-text.json"), "claude-compatible")).toEqual({
      id: "msg_BxT2aa1ZsWbVfN2mYc4Lr7Ub",
      type: "message",
      role: "assistant",
      model: "claude-compatible",
      content: [{ type: "text", text: "Hello! How can I help you today?" }],
      stop_reason: "end_turn",
      stop_sequence: null,
      usage: {
        input_tokens: 19,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
        output_tokens: 9,
        cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 },
        output_tokens_details: null,
        server_tool_use: null,
        service_tier: "standard",
        inference_geo: null,
        speed: null,
      },
    });
  });

  test("parallel tool calls become tool_use blocks with parsed input; cached tokens split out", () => {
    const message = chatResponseToMessages(jsonFixture("openai/chat-tool-calls.json"), "m");
    expect(message.content).toEqual([
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
    expect(message.stop_reason).toBe("tool_use");
    expect(message.usage).toEqual({
      input_tokens: 20,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 64,
      output_tokens: 52,
      cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 },
      output_tokens_details: null,
      server_tool_use: null,
      service_tier: "standard",
      inference_geo: null,
      speed: null,
    });
  });

  test("a tool call cut by the output limit gives the keys whole so far, as the stream's fragments read: {} when they start no object", () => {
    const cut = (args: string) =>
      chatResponseToMessages(
        {
          id: "chatcmpl-cut",
          object: "chat.completion",
          created: 1,
          model: "gpt",
          choices: [
            {
              index: 0,
              finish_reason: "length",
              message: {
                role: "assistant",
                content: null,
                tool_calls: [{ id: "call_1", type: "function", function: { name: "plan", arguments: args } }],
              },
            },
          ],
        },
        "m",
      );
    const message = cut('{"city": "Paris", "days": [1, 2');
    expect(message.content).toEqual([
      { type: "tool_use", id: "call_1", name: "plan", input: { city: "Paris", days: [1] } },
    ]);
    expect(message.stop_reason).toBe("max_tokens");
    expect((cut('"a string').content as { input: unknown }[])[0]?.input).toEqual({});
  });

  test("a whitespace-only text before tool calls is no text block", () => {
    const answer = jsonFixture("openai/chat-tool-calls.json") as { choices: { message: object }[] };
    const choice = answer.choices[0] as { message: object };
    choice.message = { ...choice.message, content: "\n\n" };
    const content = chatResponseToMessages(answer, "m").content as { type: string }[];
    expect(content.map((block) => block.type)).toEqual(["tool_use", "tool_use"]);
  });

  const withFinish = (finish_reason: string, extra: Record<string, unknown> = {}) => ({
    id: "chatcmpl-1",
    choices: [{ index: 0, message: { role: "assistant", content: "x" }, finish_reason, ...extra }],
  });

  test.each([
    ["stop", {}, "end_turn", null],
    ["length", {}, "max_tokens", null],
    ["content_filter", {}, "refusal", null],
    ["stop", { stop_reason: "END" }, "stop_sequence", "END"],
    ["stop", { stop_reason: 128001 }, "end_turn", null],
  ] as const)("finish_reason %s %o → %s", (finish, extra, stopReason, stopSequence) => {
    const message = chatResponseToMessages(withFinish(finish, extra), "m");
    expect(message.stop_reason).toBe(stopReason);
    expect(message.stop_sequence).toBe(stopSequence);
  });

  test("a refusal is the text, and ends with stop_reason refusal", () => {
    const message = chatResponseToMessages(
      {
        id: "chatcmpl-r",
        choices: [
          {
            message: { content: null, refusal: "I'm sorry, I can't help with that." },
            finish_reason: "stop",
          },
        ],
      },
      "m",
    );
    expect(message.content).toEqual([{ type: "text", text: "I'm sorry, I can't help with that." }]);
    expect(message.stop_reason).toBe("refusal");
  });

  test("unreadable upstream body is a retryable 502", () => {
    try {
      chatResponseToMessages({ object: "chat.completion" }, "m");
      throw new Error("expected a throw");
    } catch (error) {
      expect(error).toBeInstanceOf(GatewayError);
      expect((error as GatewayError).status).toBe(502);
      expect((error as GatewayError).retryable).toBe(true);
    }
  });

  test("a chat server's reasoning_content becomes a thinking block first", () => {
    const message = chatResponseToMessages(
      {
        id: "chatcmpl-t",
        choices: [{ message: { content: "42", reasoning_content: "6 × 7" }, finish_reason: "stop" }],
      },
      "m",
    );
    expect(message.content).toEqual([
      { type: "thinking", thinking: "6 × 7", signature: "" },
      { type: "text", text: "42" },
    ]);
  });
});
