import { describe, expect, test } from "bun:test";
import type { JsonObject } from "../../core/dialect.ts";
import { responsesRequestToChat } from "./responses-request-to-chat.ts";

describe("responsesRequestToChat: reasoning", () => {
  describe("reasoning items of past turns (Codex echoes them back)", () => {
    const shell = (callId: string) => ({
      type: "function_call",
      call_id: callId,
      name: "shell",
      arguments: '{"command":["echo","one"]}',
    });
    const output = (callId: string) => ({ type: "function_call_output", call_id: callId, output: "one" });
    // The first turns come from the stored chain, the rest from the request's input.
    const previous = [
      { type: "message", role: "user", content: "run echo one" },
      // As the gateway writes a chat upstream's reasoning, and Codex echoes it back.
      {
        type: "reasoning",
        summary: [{ type: "summary_text", text: "I need to run echo." }],
        content: null,
        encrypted_content: null,
      },
      shell("call_1"),
      output("call_1"),
    ];
    const input = [
      {
        type: "reasoning",
        summary: [{ type: "summary_text", text: "A summary." }],
        content: [{ type: "reasoning_text", text: "It printed one." }],
      },
      { type: "message", role: "assistant", content: [{ type: "output_text", text: "It printed one." }] },
      { type: "message", role: "user", content: "and now?" },
      // A tool call another route answered, with no reasoning; and a turn of plain text.
      shell("call_2"),
      output("call_2"),
      { type: "message", role: "assistant", content: "Done." },
      { type: "message", role: "user", content: "thanks" },
    ];
    const assistants = (chat: JsonObject) =>
      (chat.messages as JsonObject[]).filter((message) => message.role === "assistant");

    test("go back as reasoning_content on the next assistant message to an upstream that wants them (DeepSeek's thinking mode)", () => {
      const translated = responsesRequestToChat({ model: "m", input }, previous, "drop", new Map(), {
        reasoningBack: true,
      });
      const sent = assistants(translated.body);
      expect(sent.map((message) => message.reasoning_content)).toEqual([
        "I need to run echo.",
        // The reasoning itself, where the item has it, rather than its summary.
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
          {
            id: "call_1",
            type: "function",
            function: { name: "shell", arguments: '{"command":["echo","one"]}' },
          },
        ],
      });
      expect(translated.dropped).toEqual([]);
    });

    test("are left out for any other upstream (OpenAI refuses a field it does not know), and named nowhere", () => {
      const translated = responsesRequestToChat({ model: "m", input }, previous);
      expect(assistants(translated.body).every((message) => !("reasoning_content" in message))).toBe(true);
      expect(translated.dropped).toEqual([]);
    });
  });
});
