import { describe, expect, test } from "bun:test";
import { chatRequestToMessages } from "./chat-request-to-messages.ts";

// A chat request's tools, tool calls and tool results as Anthropic's Messages request.

describe("chatRequestToMessages: tools", () => {
  test("tool calls and results; consecutive same-role turns merge", () => {
    const body = chatRequestToMessages({
      model: "m",
      messages: [
        { role: "user", content: "Weather in Paris and Tokyo?" },
        {
          role: "user",
          content: [{ type: "image_url", image_url: { url: "data:image/jpeg;base64,/9j/4AAQ" } }],
        },
        {
          role: "assistant",
          content: null,
          tool_calls: [
            {
              id: "call_1",
              type: "function",
              function: { name: "get_weather", arguments: '{"location":"Paris"}' },
            },
            {
              id: "call_2",
              type: "function",
              function: { name: "get_weather", arguments: '{"location":"Tokyo"}' },
            },
          ],
        },
        { role: "tool", tool_call_id: "call_1", content: "18°C" },
        { role: "tool", tool_call_id: "call_2", content: [{ type: "text", text: "22°C" }] },
        { role: "user", content: "Which is warmer?" },
      ],
    });
    expect(body.messages).toEqual([
      {
        role: "user",
        content: [
          { type: "text", text: "Weather in Paris and Tokyo?" },
          { type: "image", source: { type: "base64", media_type: "image/jpeg", data: "/9j/4AAQ" } },
        ],
      },
      {
        role: "assistant",
        content: [
          { type: "tool_use", id: "call_1", name: "get_weather", input: { location: "Paris" } },
          { type: "tool_use", id: "call_2", name: "get_weather", input: { location: "Tokyo" } },
        ],
      },
      {
        role: "user",
        content: [
          { type: "tool_result", tool_use_id: "call_1", content: "18°C" },
          { type: "tool_result", tool_use_id: "call_2", content: "22°C" },
          { type: "text", text: "Which is warmer?" },
        ],
      },
    ]);
  });

  test("a tool-call id carrying Gemini's signature goes plain, tool_use and tool_result alike", () => {
    const signed = "call_abc__ts_AAAABBBBCCCCDDDD_-";
    const body = chatRequestToMessages({
      model: "claude-sonnet-4-5",
      messages: [
        { role: "user", content: "weather?" },
        {
          role: "assistant",
          content: null,
          tool_calls: [{ id: signed, type: "function", function: { name: "w", arguments: "{}" } }],
        },
        { role: "tool", tool_call_id: signed, content: "18C" },
      ],
    });
    expect(body.messages).toMatchObject([
      {},
      { content: [{ type: "tool_use", id: "call_abc" }] },
      { content: [{ type: "tool_result", tool_use_id: "call_abc" }] },
    ]);
  });

  test("a function's parameters without a type, which OpenAI takes as an object's, are given type object", () => {
    const tool = (parameters?: Record<string, unknown>, strict?: boolean) => ({
      type: "function",
      function: { name: "f", ...(parameters ? { parameters } : {}), ...(strict ? { strict } : {}) },
    });
    const schemas = (tools: unknown[]) =>
      (
        chatRequestToMessages({ model: "m", messages: [{ role: "user", content: "x" }], tools }).tools as {
          input_schema: unknown;
        }[]
      ).map((t) => t.input_schema);
    const city = { properties: { city: { type: "string" } }, required: ["city"] };
    expect(schemas([tool({}), tool(), tool(city), tool({ type: "object", ...city })])).toEqual([
      { type: "object" },
      { type: "object", properties: {} },
      { type: "object", ...city },
      { type: "object", ...city },
    ]);
    // A strict tool's too, before it is held to Anthropic's subset (an object of no properties goes as sent).
    expect(schemas([tool({}, true)])).toEqual([{ type: "object" }]);
  });

  test("tools (strict kept: Anthropic enforces it too), tool_choice and parallel_tool_calls", () => {
    const base = {
      model: "m",
      messages: [{ role: "user", content: "x" }],
      tools: [
        {
          type: "function",
          function: {
            name: "f",
            description: "does f",
            parameters: { type: "object", properties: {} },
            strict: true,
          },
        },
      ],
    };
    const body = chatRequestToMessages({ ...base, tool_choice: "required", parallel_tool_calls: false });
    expect(body.tools).toEqual([
      {
        name: "f",
        description: "does f",
        // Closed, as Anthropic requires of a strict tool's object (anthropic-enforced-schema.ts).
        input_schema: { type: "object", properties: {}, additionalProperties: false },
        strict: true,
      },
    ]);
    expect(body.tool_choice).toEqual({ type: "any", disable_parallel_tool_use: true });
    expect(chatRequestToMessages({ ...base, tool_choice: "auto" }).tool_choice).toEqual({ type: "auto" });
    expect(chatRequestToMessages({ ...base, tool_choice: "none" }).tool_choice).toEqual({ type: "none" });
    expect(
      chatRequestToMessages({ ...base, tool_choice: { type: "function", function: { name: "f" } } })
        .tool_choice,
    ).toEqual({ type: "tool", name: "f" });
  });
});
