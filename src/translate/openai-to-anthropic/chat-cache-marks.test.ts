import { describe, expect, test } from "bun:test";
import type { JsonObject } from "../../core/dialect.ts";
import { chatRequestToMessages } from "./chat-request-to-messages.ts";

// A chat caller's cache breakpoints (`cache_control` on a part, a call, a message or a tool: LiteLLM's
// and OpenRouter's form) reach Claude on Anthropic's API, Bedrock's InvokeModel and Vertex AI as
// Anthropic's own `cache_control`, on the blocks Converse puts its `cachePoint` after.

const EPHEMERAL = { type: "ephemeral" };

const translated = (messages: JsonObject[], more: JsonObject = {}) =>
  chatRequestToMessages({ model: "claude-sonnet-4-5", max_tokens: 100, messages, ...more });

const contentOf = (body: JsonObject, i: number) =>
  (body.messages as Array<{ content: JsonObject[] }>)[i]?.content;

describe("a chat caller's cache breakpoints toward Claude", () => {
  test("a system part's: system as blocks, the marked one carrying it; the rest as before", () => {
    const body = translated([
      {
        role: "system",
        content: [
          { type: "text", text: "long rules", cache_control: EPHEMERAL },
          { type: "text", text: "more" },
        ],
      },
      { role: "developer", content: "Be terse." },
      { role: "user", content: "hi" },
    ]);
    expect(body.system).toEqual([
      { type: "text", text: "long rules", cache_control: EPHEMERAL },
      { type: "text", text: "more" },
      { type: "text", text: "Be terse." },
    ]);
  });

  test("unmarked, system stays one text", () => {
    const body = translated([
      { role: "system", content: [{ type: "text", text: "a" }] },
      { role: "user", content: "hi" },
    ]);
    expect(body.system).toBe("a");
  });

  test("a user part's, its ttl kept (5m, 1h); another ttl left out, as toward Converse", () => {
    const body = translated([
      {
        role: "user",
        content: [
          { type: "text", text: "doc", cache_control: { type: "ephemeral", ttl: "1h" } },
          { type: "image_url", image_url: { url: "data:image/png;base64,AAAA" }, cache_control: EPHEMERAL },
          { type: "text", text: "q", cache_control: { type: "ephemeral", ttl: "2d" } },
        ],
      },
    ]);
    expect(contentOf(body, 0)).toEqual([
      { type: "text", text: "doc", cache_control: { type: "ephemeral", ttl: "1h" } },
      {
        type: "image",
        source: { type: "base64", media_type: "image/png", data: "AAAA" },
        cache_control: EPHEMERAL,
      },
      { type: "text", text: "q", cache_control: EPHEMERAL },
    ]);
  });

  test("an assistant's text part and call carry their own; a tool result its message's", () => {
    const body = translated([
      { role: "user", content: "weather?" },
      {
        role: "assistant",
        content: [
          { type: "text", text: "Looking.", cache_control: EPHEMERAL },
          { type: "text", text: " Then time." },
        ],
        tool_calls: [
          { id: "call_1", type: "function", function: { name: "weather", arguments: "{}" } },
          {
            id: "call_2",
            type: "function",
            function: { name: "time", arguments: "{}" },
            cache_control: EPHEMERAL,
          },
        ],
      },
      { role: "tool", tool_call_id: "call_1", content: "sunny" },
      { role: "tool", tool_call_id: "call_2", content: "noon", cache_control: EPHEMERAL },
    ]);
    const assistant = contentOf(body, 1) ?? [];
    expect(assistant.map((block) => [block.type, block.cache_control])).toEqual([
      ["text", EPHEMERAL],
      ["text", undefined],
      ["tool_use", undefined],
      ["tool_use", EPHEMERAL],
    ]);
    expect(assistant.slice(0, 2).map((block) => block.text)).toEqual(["Looking.", " Then time."]);
    expect((contentOf(body, 2) ?? []).map((block) => block.cache_control)).toEqual([undefined, EPHEMERAL]);
  });

  test("an assistant message's own: on its last block, text or call, as Converse's point follows the message", () => {
    const body = translated([
      { role: "user", content: "weather?" },
      { role: "assistant", content: "Sunny.", cache_control: { type: "ephemeral", ttl: "1h" } },
      { role: "user", content: "and tomorrow?" },
      {
        role: "assistant",
        content: "Looking.",
        tool_calls: [{ id: "call_1", type: "function", function: { name: "weather", arguments: "{}" } }],
        cache_control: EPHEMERAL,
      },
      { role: "tool", tool_call_id: "call_1", content: "rain" },
    ]);
    expect(contentOf(body, 1)).toEqual([
      { type: "text", text: "Sunny.", cache_control: { type: "ephemeral", ttl: "1h" } },
    ]);
    expect((contentOf(body, 3) ?? []).map((block) => [block.type, block.cache_control])).toEqual([
      ["text", undefined],
      ["tool_use", EPHEMERAL],
    ]);
  });

  test("an assistant message's own mark is put on no thinking block, which Anthropic refuses to mark", () => {
    const body = chatRequestToMessages(
      {
        model: "claude-sonnet-4-5",
        max_tokens: 100,
        messages: [
          { role: "user", content: "hi" },
          { role: "assistant", content: "", reasoning_content: "hm", cache_control: EPHEMERAL },
          { role: "user", content: "again" },
        ],
      },
      undefined,
      undefined,
      true,
    );
    const assistant = contentOf(body, 1) ?? [];
    expect(assistant.every((block) => block.cache_control === undefined)).toBe(true);
  });

  test("a tool's", () => {
    const body = translated([{ role: "user", content: "hi" }], {
      tools: [
        { type: "function", function: { name: "f", parameters: { type: "object" } } },
        {
          type: "function",
          function: { name: "g", parameters: { type: "object" } },
          cache_control: EPHEMERAL,
        },
      ],
    });
    expect((body.tools as JsonObject[]).map((tool) => tool.cache_control)).toEqual([undefined, EPHEMERAL]);
  });
});
