import { describe, expect, test } from "bun:test";
import { withoutShapes } from "../core/credential-shapes.ts";
import { forCallers } from "../core/for-callers.ts";
import { withoutSecrets } from "../core/without-secrets.ts";
import { chatResponseToMessages } from "./anthropic-to-openai/chat-response-to-messages.ts";
import { messagesRequestToChat } from "./anthropic-to-openai/messages-request-to-chat.ts";
import { anthropicToolId, bedrockToolId, chatToolId } from "./anthropic-tool-id.ts";
import { chatRequestToMessages } from "./openai-to-anthropic/chat-request-to-messages.ts";

const ANTHROPIC_ID = /^[a-zA-Z0-9_-]+$/;
/** An id as Kimi K2 mints it on vLLM or Moonshot: refused by Anthropic's pattern. */
const KIMI = "functions.get_weather:0";

describe("tool-call ids across the Anthropic boundary", () => {
  test("an allowed id is itself both ways; another is written in the pattern and read back", () => {
    expect(anthropicToolId("call_abc-1")).toBe("call_abc-1");
    expect(chatToolId("toolu_01ABC")).toBe("toolu_01ABC");
    const written = anthropicToolId(KIMI);
    expect(written).toMatch(ANTHROPIC_ID);
    expect(chatToolId(written)).toBe(KIMI);
    expect(chatToolId(anthropicToolId("名前:1"))).toBe("名前:1");
    // Starting so is not enough: only what anthropicToolId wrote is read back.
    expect(chatToolId("toolu_mgw_not-ours")).toBe("toolu_mgw_not-ours");
  });

  test("a chat conversation with a Kimi id reaches Anthropic in its pattern, call and result equal", () => {
    const body = chatRequestToMessages({
      model: "claude-sonnet-4-5",
      messages: [
        { role: "user", content: "Weather?" },
        {
          role: "assistant",
          content: null,
          tool_calls: [{ id: KIMI, type: "function", function: { name: "get_weather", arguments: "{}" } }],
        },
        { role: "tool", tool_call_id: KIMI, content: "sunny" },
      ],
    });
    const [, assistant, user] = body.messages as { content: { id?: string; tool_use_id?: string }[] }[];
    const id = assistant?.content[0]?.id;
    expect(id).toMatch(ANTHROPIC_ID);
    expect(user?.content[0]?.tool_use_id).toBe(id);
  });

  test("an Anthropic client's history goes back to the chat upstream with the ids it minted", () => {
    const shown = anthropicToolId(KIMI);
    const chat = messagesRequestToChat({
      model: "m",
      max_tokens: 100,
      messages: [
        { role: "user", content: "Weather?" },
        { role: "assistant", content: [{ type: "tool_use", id: shown, name: "get_weather", input: {} }] },
        { role: "user", content: [{ type: "tool_result", tool_use_id: shown, content: "sunny" }] },
      ],
    });
    const messages = chat.messages as { tool_calls?: { id: string }[]; tool_call_id?: string }[];
    expect(messages.find((m) => m.tool_calls)?.tool_calls?.[0]?.id).toBe(KIMI);
    expect(messages.find((m) => m.tool_call_id)?.tool_call_id).toBe(KIMI);
  });

  test("a chat upstream's answer gives an Anthropic client its call's id in the pattern", () => {
    const answer = chatResponseToMessages(
      {
        id: "chatcmpl-1",
        model: "kimi-k2",
        choices: [
          {
            index: 0,
            finish_reason: "tool_calls",
            message: {
              role: "assistant",
              content: null,
              tool_calls: [
                { id: KIMI, type: "function", function: { name: "get_weather", arguments: "{}" } },
              ],
            },
          },
        ],
      },
      "kimi",
    );
    const block = (answer.content as { type: string; id?: string }[]).find((b) => b.type === "tool_use");
    expect(block?.id).toBe(anthropicToolId(KIMI));
  });

  test("toward Bedrock an id fits 64 characters: a long one is a digest, the same for call and result", () => {
    expect(bedrockToolId(KIMI)).toBe(anthropicToolId(KIMI));
    const mcp = "functions.mcp__github__create_pull_request:0";
    const written = bedrockToolId(mcp);
    expect(written).toMatch(ANTHROPIC_ID);
    expect(written.length).toBeLessThanOrEqual(64);
    expect(bedrockToolId(mcp)).toBe(written);
    expect(bedrockToolId("functions.mcp__github__create_pull_request:1")).not.toBe(written);
    expect(bedrockToolId("x".repeat(64))).toBe("x".repeat(64));
  });

  test("the ids it writes are no credential: redaction and an upstream's error words keep them, each its own", () => {
    const ids = [
      anthropicToolId("functions.get_weather:0"),
      // Its base64url is exactly 43 letters and digits: a mindgw key's body, after `toolu_`.
      anthropicToolId("functions.lookup_weather_city:12"),
      // Its base64url holds `-sk-` and 42 random-looking characters after it: an `sk-` key glued
      // after a hyphen, to a rule that does not know the gateway's own ids.
      anthropicToolId("call.za\uFB13\u4E00:get_weather_forecast_for_city:7"),
    ];
    expect(ids[1]?.slice("toolu_mgw_".length)).toMatch(/^[A-Za-z0-9]{43}$/);
    expect(ids[2]).toMatch(/-sk-[A-Za-z0-9_-]{40,}$/);
    for (const id of ids) {
      const words = `messages.1.content.0: \`tool_use\` ids were found without \`tool_result\` blocks: ${id}`;
      expect(withoutShapes(JSON.stringify({ tool_use_id: id }))).toBe(JSON.stringify({ tool_use_id: id }));
      expect(withoutSecrets(words)).toBe(words);
      expect(forCallers(words)).toBe(words);
    }
  });
});
