import { describe, expect, test } from "bun:test";
import type { GatewayError } from "../../core/gateway-error.ts";
import { Dropped } from "../dropped.ts";
import { messagesRequestToChat } from "./messages-request-to-chat.ts";

describe("messagesRequestToChat: what chat cannot carry", () => {
  test("Anthropic-only fields and server tools are dropped and named, or refused", () => {
    const body = {
      model: "m",
      max_tokens: 5,
      messages: [{ role: "user", content: "x" }],
      context_management: { edits: [{ type: "clear_tool_uses_20250919" }] },
      top_k: 5,
      tools: [
        { name: "Read", input_schema: { type: "object" } },
        { type: "web_search_20250305", name: "web_search" },
      ],
    };
    const dropped = new Dropped();
    const chat = messagesRequestToChat(body, dropped);
    expect(dropped.list).toEqual(["context_management", "top_k", "tools.web_search_20250305"]);
    expect((chat.tools as unknown[]).length).toBe(1);
    expect(() => messagesRequestToChat(body, new Dropped("reject"))).toThrow("context_management");
  });

  test("every top-level field not carried is named, or refused; defaults and caching hints are not", () => {
    const body = {
      model: "m",
      max_tokens: 5,
      messages: [{ role: "user", content: "x" }],
      speed: "fast",
      output_config: { effort: "low", task_budget: { type: "tokens", total: 1000 } },
      cache_control: { type: "ephemeral" },
      diagnostics: { previous_message_id: "msg_1" },
      some_beta_field: true,
    };
    const dropped = new Dropped();
    const chat = messagesRequestToChat(body, dropped);
    expect(dropped.list).toEqual(["speed", "diagnostics", "some_beta_field", "output_config.task_budget"]);
    expect(chat.reasoning_effort).toBe("low");
    expect([chat.speed, chat.cache_control, chat.diagnostics]).toEqual([undefined, undefined, undefined]);
    expect(() => messagesRequestToChat(body, new Dropped("reject"))).toThrow("speed");
    const quiet = new Dropped("reject");
    messagesRequestToChat(
      { ...body, speed: "standard", output_config: {}, diagnostics: null, some_beta_field: [] },
      quiet,
    );
    expect(quiet.list).toEqual([]);
  });

  test("an assistant turn's server-tool blocks are named as a user turn's are; its thinking, redacted or not, is not", () => {
    const body = {
      model: "m",
      max_tokens: 5,
      messages: [
        { role: "user", content: "news?" },
        {
          role: "assistant",
          content: [
            { type: "thinking", thinking: "search it", signature: "s" },
            { type: "redacted_thinking", data: "opaque" },
            { type: "server_tool_use", id: "srvtoolu_1", name: "web_search", input: { query: "news" } },
            {
              type: "web_search_tool_result",
              tool_use_id: "srvtoolu_1",
              content: [{ type: "web_search_result", url: "https://x", title: "T", encrypted_content: "e" }],
            },
            { type: "text", text: "Per the search, …" },
          ],
        },
        { role: "user", content: "more" },
      ],
    };
    const dropped = new Dropped();
    const chat = messagesRequestToChat(body, dropped);
    expect(dropped.list).toEqual(["content.server_tool_use", "content.web_search_tool_result"]);
    expect((chat.messages as unknown[])[1]).toEqual({ role: "assistant", content: "Per the search, …" });
    let refused: unknown;
    try {
      messagesRequestToChat(body, new Dropped("reject"));
    } catch (error) {
      refused = error;
    }
    expect((refused as GatewayError).param).toBe("messages.1.content.2");
  });

  test("service_tier: auto is OpenAI's auto, standard_only its default tier", () => {
    const base = { model: "m", max_tokens: 5, messages: [{ role: "user", content: "x" }] };
    expect(messagesRequestToChat({ ...base, service_tier: "auto" }).service_tier).toBe("auto");
    expect(messagesRequestToChat({ ...base, service_tier: "standard_only" }).service_tier).toBe("default");
    const dropped = new Dropped();
    expect(
      messagesRequestToChat({ ...base, service_tier: "priority" }, dropped).service_tier,
    ).toBeUndefined();
    expect(dropped.list).toEqual(["service_tier"]);
  });

  // Fields of a client tool the SDK knows (@anthropic-ai/sdk 1.12) that a chat function has no place
  // for were left out unnamed: its examples unseen, a tool only code execution may call made one the
  // model calls itself.
  test("a tool's input_examples and allowed_callers are named; its caching hint, eager streaming and deferral not", () => {
    const tool = { name: "f", input_schema: { type: "object" } };
    const ask = (fields: object) => ({
      model: "m",
      max_tokens: 5,
      messages: [{ role: "user", content: "x" }],
      tools: [tool, { ...tool, name: "g", ...fields }],
    });
    const named = (fields: object) => {
      const dropped = new Dropped();
      expect((messagesRequestToChat(ask(fields), dropped).tools as unknown[]).length).toBe(2);
      return dropped.list;
    };
    expect(named({ input_examples: [{}], allowed_callers: ["code_execution_20250825"] })).toEqual([
      "tools.input_examples",
      "tools.allowed_callers",
    ]);
    // Nothing the caller can act on: sent loaded, cached by the upstream, streamed in pieces anyway.
    expect(
      named({
        defer_loading: true,
        input_examples: [],
        allowed_callers: ["direct"],
        cache_control: { type: "ephemeral" },
        eager_input_streaming: true,
      }),
    ).toEqual([]);
    expect(() => messagesRequestToChat(ask({ input_examples: [{}] }), new Dropped("reject"))).toThrow(
      "tools.1.input_examples",
    );
  });
});
