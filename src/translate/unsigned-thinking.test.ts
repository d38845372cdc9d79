import { describe, expect, test } from "bun:test";
import type { JsonObject } from "../core/dialect.ts";
import { GatewayError } from "../core/gateway-error.ts";
import { chatResponseToMessages } from "./anthropic-to-openai/chat-response-to-messages.ts";
import { Dropped } from "./dropped.ts";
import { lookForThinking, type ThinkingFound } from "./thinking-found.ts";
import { withoutUnsignedThinking } from "./unsigned-thinking.ts";

// What Claude (Anthropic, Bedrock, Vertex AI) is sent of a conversation that holds thinking it did
// not sign: a chat route's reasoning, as the gateway gave it to an Anthropic caller.

const SIGNATURE = "EqQBCkgIBhABGAIiQL7Dq2sa";
const BASH = { type: "tool_use", id: "toolu_1", name: "Bash", input: { command: "ls" } };
const RESULT = { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: "a.txt" }] };

/** The turn a chat route answered with reasoning and a call, as the gateway's translation wrote it. */
const chatTurn = chatResponseToMessages(
  {
    id: "chatcmpl-1",
    object: "chat.completion",
    created: 1,
    model: "qwen3-coder",
    choices: [
      {
        index: 0,
        finish_reason: "tool_calls",
        message: {
          role: "assistant",
          content: null,
          reasoning_content: "Listing first.",
          tool_calls: [
            { id: "toolu_1", type: "function", function: { name: "Bash", arguments: '{"command":"ls"}' } },
          ],
        },
      },
    ],
  },
  "m",
).content as JsonObject[];

/** Whether the one look finds unsigned thinking in `body`. */
const carriesUnsignedThinking = (body: JsonObject): boolean | undefined => {
  const found: ThinkingFound = {};
  lookForThinking(body, found);
  return found.unsignedThinking;
};

const request = (messages: unknown[], extra: JsonObject = {}): JsonObject => ({
  model: "claude-up",
  max_tokens: 1024,
  messages: [{ role: "user", content: "list the files" }, ...messages],
  ...extra,
});

describe("thinking Claude did not sign, on its way to Claude", () => {
  test("a chat route's reasoning (its thinking block unsigned) is left out and named; the call stays", () => {
    expect(chatTurn[0]).toEqual({ type: "thinking", thinking: "Listing first.", signature: "" });
    const body = request([{ role: "assistant", content: chatTurn }, RESULT]);
    const dropped = new Dropped();
    expect(carriesUnsignedThinking(body)).toBe(true);
    const sent = withoutUnsignedThinking(body, dropped);
    expect(sent.messages).toEqual([
      { role: "user", content: "list the files" },
      { role: "assistant", content: [BASH] },
      RESULT,
    ]);
    expect(dropped.list).toEqual(["content.thinking (unsigned)"]);
    // The caller's body is not changed: the next route gets it as received.
    expect((body.messages as JsonObject[])[1]?.content).toBe(chatTurn);
  });

  test("Claude's own thinking, signed, goes as it is, the body itself", () => {
    const signed = { type: "thinking", thinking: "Listing first.", signature: SIGNATURE };
    const redacted = { type: "redacted_thinking", data: "EmwKAhgBEgy3va3pzix" };
    const body = request([{ role: "assistant", content: [signed, redacted, BASH] }, RESULT]);
    expect(carriesUnsignedThinking(body)).toBe(false);
    expect(withoutUnsignedThinking(body, new Dropped())).toBe(body);
  });

  test("a redacted_thinking block without its data goes too; a turn left with nothing goes whole", () => {
    const body = request([
      { role: "assistant", content: [{ type: "redacted_thinking", data: "" }, BASH] },
      RESULT,
      { role: "assistant", content: [{ type: "thinking", thinking: "only this" }] },
      { role: "user", content: "go on" },
    ]);
    const dropped = new Dropped();
    const sent = withoutUnsignedThinking(body, dropped);
    expect(sent.messages).toEqual([
      { role: "user", content: "list the files" },
      { role: "assistant", content: [BASH] },
      RESULT,
      { role: "user", content: "go on" },
    ]);
    expect(dropped.list).toEqual(["content.redacted_thinking (unsigned)", "content.thinking (unsigned)"]);
  });

  test("under translation.unsupported: reject, a 400 naming the block", () => {
    const body = request([{ role: "assistant", content: chatTurn }, RESULT]);
    const refused = (() => {
      try {
        withoutUnsignedThinking(body, new Dropped("reject"));
      } catch (error) {
        return error;
      }
    })();
    expect(refused).toBeInstanceOf(GatewayError);
    expect([(refused as GatewayError).status, (refused as GatewayError).param]).toEqual([
      400,
      "messages.1.content.0",
    ]);
  });

  test("extended thinking mid tool loop: the turn left without thinking takes the call's thinking, and Claude Code's clear_thinking edit, with it", () => {
    const edits = [
      { type: "clear_thinking_20251015", keep: "all" },
      { type: "clear_tool_uses_20250919", keep: { type: "tool_uses", value: 3 } },
    ];
    const body = request([{ role: "assistant", content: chatTurn }, RESULT], {
      thinking: { type: "enabled", budget_tokens: 1024 },
      context_management: { edits },
    });
    const dropped = new Dropped();
    const sent = withoutUnsignedThinking(body, dropped);
    expect(sent.thinking).toBeUndefined();
    expect(sent.context_management).toEqual({ edits: [edits[1]] });
    expect(dropped.list).toEqual([
      "content.thinking (unsigned)",
      "thinking",
      "context_management.edits.clear_thinking_20251015",
    ]);
    // Claude's next turn of the loop, answered without thinking, keeps it off until the loop ends.
    const next = request(
      [{ role: "assistant", content: chatTurn }, RESULT, { role: "assistant", content: [BASH] }, RESULT],
      { thinking: { type: "enabled", budget_tokens: 1024 } },
    );
    expect(withoutUnsignedThinking(next, new Dropped()).thinking).toBeUndefined();
    // A new prompt ends the loop: thinking is asked for again.
    const after = request(
      [
        { role: "assistant", content: chatTurn },
        RESULT,
        { role: "assistant", content: [{ type: "text", text: "a.txt" }] },
        { role: "user", content: "thanks" },
      ],
      {
        thinking: { type: "enabled", budget_tokens: 1024 },
      },
    );
    expect(withoutUnsignedThinking(after, new Dropped()).thinking).toEqual({
      type: "enabled",
      budget_tokens: 1024,
    });
  });

  test("adaptive thinking, where Claude may call a tool without thinking first, is kept", () => {
    const body = request([{ role: "assistant", content: chatTurn }, RESULT], {
      thinking: { type: "adaptive" },
      context_management: { edits: [{ type: "clear_thinking_20251015", keep: "all" }] },
    });
    const dropped = new Dropped();
    const sent = withoutUnsignedThinking(body, dropped);
    expect([sent.thinking, sent.context_management]).toEqual([body.thinking, body.context_management]);
    expect(dropped.list).toEqual(["content.thinking (unsigned)"]);
  });
});
