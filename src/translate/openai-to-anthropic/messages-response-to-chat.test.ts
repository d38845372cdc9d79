import { describe, expect, test } from "bun:test";
import { jsonFixture } from "../fixtures/load-fixture.ts";
import { messagesResponseToChat } from "./messages-response-to-chat.ts";

describe("messagesResponseToChat", () => {
  test("text answer", () => {
    expect(
      messagesResponseToChat(jsonFixture("anthropic/message-text.json"), "gpt-claude", {
        created: 1763800000,
      }),
    ).toEqual({
      id: "chatcmpl-01XFDUDYJgAACzvnptvVoYEL",
      object: "chat.completion",
      created: 1763800000,
      model: "gpt-claude",
      choices: [
        {
          index: 0,
          message: { role: "assistant", content: "Hello! How can I help you today?", refusal: null },
          logprobs: null,
          finish_reason: "stop",
        },
      ],
      usage: {
        prompt_tokens: 21,
        completion_tokens: 12,
        total_tokens: 33,
        prompt_tokens_details: { cached_tokens: 0 },
      },
    });
  });

  test("tool_use blocks → tool_calls, thinking dropped, cache reads counted in prompt_tokens", () => {
    const chat = messagesResponseToChat(jsonFixture("anthropic/message-tool-use.json"), "m", { created: 1 });
    const choice = (chat.choices as Array<Record<string, unknown>>)[0];
    expect(choice?.finish_reason).toBe("tool_calls");
    expect(choice?.message).toEqual({
      role: "assistant",
      content: "I'll check the weather in both cities.",
      refusal: null,
      tool_calls: [
        {
          id: "toolu_01T1x1fJ34qAmk2tNTrN7Up6",
          type: "function",
          function: { name: "get_weather", arguments: '{"location":"Paris, France","unit":"celsius"}' },
        },
        {
          id: "toolu_01VkqfZWbZ9Qn8QyJg4Xc2mD",
          type: "function",
          function: { name: "get_weather", arguments: '{"location":"Tokyo, Japan","unit":"celsius"}' },
        },
      ],
    });
    expect(chat.usage).toEqual({
      prompt_tokens: 572,
      completion_tokens: 89,
      total_tokens: 661,
      prompt_tokens_details: { cached_tokens: 100 },
    });
  });

  test("an upstream that takes its thinking back (DeepSeek's /anthropic): the thinking is reasoning_content, its signature left out", () => {
    const body = jsonFixture("anthropic/deepseek-thinking-tool-use.json");
    const chat = messagesResponseToChat(body, "ds", { thinkingBack: true, created: 1 });
    const choice = (chat.choices as Array<Record<string, unknown>>)[0];
    expect(choice?.message).toEqual({
      role: "assistant",
      content: null,
      refusal: null,
      // DeepSeek's own chat API's field, which its callers send back on the tool-call turn.
      reasoning_content: "The user wants the files. I should run ls.",
      tool_calls: [
        {
          id: "call_00_hJ2XkqnVw1sLZ3",
          type: "function",
          function: { name: "Bash", arguments: '{"cmd":"ls"}' },
        },
      ],
    });
    // Claude's (no thinking back): the thinking dropped, as Claude would not take it back unsigned.
    const claude = messagesResponseToChat(body, "ds", { created: 1 });
    const { reasoning_content: _, ...without } = (choice?.message ?? {}) as Record<string, unknown>;
    expect((claude.choices as Array<Record<string, unknown>>)[0]?.message).toEqual(without);
  });

  test("thinking that is all empty (DeepSeek may send only a signature) gives no reasoning_content", () => {
    const body = {
      id: "msg_1",
      content: [
        { type: "thinking", thinking: "", signature: "sig" },
        { type: "text", text: "hi" },
      ],
      stop_reason: "end_turn",
    };
    const chat = messagesResponseToChat(body, "m", { thinkingBack: true, created: 1 });
    expect((chat.choices as Array<Record<string, unknown>>)[0]?.message).toEqual({
      role: "assistant",
      content: "hi",
      refusal: null,
    });
  });

  test.each([
    ["end_turn", "stop"],
    ["stop_sequence", "stop"],
    ["max_tokens", "length"],
    ["tool_use", "tool_calls"],
    ["refusal", "content_filter"],
    ["pause_turn", "stop"],
  ])("stop_reason %s → finish_reason %s", (stopReason, finish) => {
    const body = { id: "msg_1", content: [{ type: "text", text: "x" }], stop_reason: stopReason };
    const chat = messagesResponseToChat(body, "m", { created: 1 });
    expect((chat.choices as Array<Record<string, unknown>>)[0]?.finish_reason).toBe(finish);
  });
});
