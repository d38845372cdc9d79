import { describe, expect, test } from "bun:test";
import type { ReasoningEffort } from "openai/resources/shared";
import type { JsonObject } from "../../core/dialect.ts";
import { Dropped } from "../dropped.ts";
import { messagesRequestToChat } from "./messages-request-to-chat.ts";

describe("messagesRequestToChat: thinking, effort and output format", () => {
  describe("thinking blocks of past turns", () => {
    // As Claude Code sends a conversation back: the thinking the gateway wrote from a chat
    // server's reasoning (unsigned), before the text or the tool call it led to.
    const call = { type: "tool_use", id: "call_1", name: "Bash", input: { command: "echo one" } };
    const conversation = {
      model: "deepseek-reasoner",
      max_tokens: 100,
      messages: [
        { role: "user", content: "run echo one" },
        {
          role: "assistant",
          content: [{ type: "thinking", thinking: "I need to run echo.", signature: "" }, call],
        },
        { role: "user", content: [{ type: "tool_result", tool_use_id: "call_1", content: "one" }] },
        {
          role: "assistant",
          content: [
            { type: "thinking", thinking: "It printed one.", signature: "" },
            { type: "text", text: "It printed one." },
          ],
        },
        { role: "user", content: "and now?" },
        // A tool call another route answered, with no thinking; and a turn of plain text.
        { role: "assistant", content: [call] },
        { role: "user", content: [{ type: "tool_result", tool_use_id: "call_1", content: "one" }] },
        { role: "assistant", content: [{ type: "text", text: "Done." }] },
        { role: "user", content: "thanks" },
      ],
    };
    const assistants = (chat: JsonObject) =>
      (chat.messages as JsonObject[]).filter((message) => message.role === "assistant");

    test("go back as reasoning_content to an upstream that wants its reasoning back (DeepSeek's thinking mode)", () => {
      const sent = assistants(messagesRequestToChat(conversation, new Dropped(), { reasoningBack: true }));
      expect(sent.map((message) => message.reasoning_content)).toEqual([
        "I need to run echo.",
        "It printed one.",
        // DeepSeek refuses a tool-call turn without the field, whoever answered it.
        "",
        undefined,
      ]);
      expect(sent[0]).toEqual({
        role: "assistant",
        content: null,
        reasoning_content: "I need to run echo.",
        tool_calls: [
          { id: "call_1", type: "function", function: { name: "Bash", arguments: '{"command":"echo one"}' } },
        ],
      });
    });

    test("are left out for any other (OpenAI refuses a field it does not know), and named nowhere", () => {
      const dropped = new Dropped();
      const sent = assistants(messagesRequestToChat(conversation, dropped));
      expect(sent.every((message) => !("reasoning_content" in message))).toBe(true);
      expect(dropped.list).toEqual([]);
    });
  });

  test("every Anthropic effort, max included, is a reasoning_effort the OpenAI SDK lists", () => {
    // Typechecked against the installed SDK both ways: a level it drops or adds fails `tsc`.
    const openAILevels = {
      none: true,
      minimal: true,
      low: true,
      medium: true,
      high: true,
      xhigh: true,
      max: true,
    } satisfies Record<NonNullable<ReasoningEffort>, true>;
    for (const effort of ["low", "medium", "high", "max"]) {
      const chat = messagesRequestToChat({
        model: "m",
        max_tokens: 5,
        messages: [{ role: "user", content: "x" }],
        output_config: { effort },
      });
      expect(chat.reasoning_effort).toBe(effort);
      expect(Object.keys(openAILevels)).toContain(effort);
    }
  });

  test("thinking and output_config map to reasoning_effort and response_format", () => {
    const base = { model: "m", max_tokens: 5, messages: [{ role: "user", content: "x" }] };
    expect(
      messagesRequestToChat({ ...base, thinking: { type: "enabled", budget_tokens: 2000 } }).reasoning_effort,
    ).toBe("low");
    expect(
      messagesRequestToChat({ ...base, thinking: { type: "enabled", budget_tokens: 32000 } })
        .reasoning_effort,
    ).toBe("high");
    expect(
      messagesRequestToChat({ ...base, thinking: { type: "adaptive" } }).reasoning_effort,
    ).toBeUndefined();
    const effort = messagesRequestToChat({
      ...base,
      thinking: { type: "adaptive" },
      output_config: { effort: "medium" },
    });
    expect(effort.reasoning_effort).toBe("medium");
    const format = messagesRequestToChat({
      ...base,
      output_config: {
        format: { type: "json_schema", schema: { type: "object", additionalProperties: false } },
      },
    });
    expect(format.response_format).toEqual({
      type: "json_schema",
      json_schema: {
        name: "response",
        schema: { type: "object", additionalProperties: false },
        strict: true,
      },
    });
  });

  test("thinking disabled is the effort that stops the upstream's thinking where it has one (Gemini's none), else no effort", () => {
    const off = {
      model: "m",
      max_tokens: 5,
      thinking: { type: "disabled" },
      messages: [{ role: "user", content: "x" }],
    };
    expect(messagesRequestToChat(off, new Dropped(), { thinkingOffEffort: "none" }).reasoning_effort).toBe(
      "none",
    );
    expect(messagesRequestToChat(off).reasoning_effort).toBeUndefined();
    // The caller's own effort wins, as over a budget.
    const both = { ...off, output_config: { effort: "low" } };
    expect(messagesRequestToChat(both, new Dropped(), { thinkingOffEffort: "none" }).reasoning_effort).toBe(
      "low",
    );
  });

  test("the structured-outputs beta's output_format is carried as output_config.format is", () => {
    const schema = {
      type: "object",
      properties: { a: { type: "string" } },
      required: ["a"],
      additionalProperties: false,
    };
    const dropped = new Dropped("reject");
    const chat = messagesRequestToChat(
      {
        model: "m",
        max_tokens: 5,
        messages: [{ role: "user", content: "x" }],
        output_format: { type: "json_schema", schema },
      },
      dropped,
    );
    expect(chat.response_format).toEqual({
      type: "json_schema",
      json_schema: { name: "response", schema, strict: true },
    });
    expect(chat.output_format).toBeUndefined();
  });
});
