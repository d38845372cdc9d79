import { describe, expect, test } from "bun:test";
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
});
