import { expect, test } from "bun:test";
import type { ProviderConfig } from "../config/config-schema.ts";
import type { JsonObject } from "../core/dialect.ts";
import { createProvider } from "../providers/create-provider.ts";
import { claudeCall } from "../routing/claude-call.ts";
import { ModelDispatch } from "./model-dispatch.ts";

const provider = (config: Record<string, unknown>) =>
  createProvider({ name: "p", type: "anthropic", ...config } as ProviderConfig, { maxSseLine: 1 << 20 });

test("the look for thinking sets fields the request has from the start: its shape stays as made", () => {
  // A chat route's reasoning, unsigned, in a conversation going on to Claude, then to DeepSeek.
  const body: JsonObject = {
    model: "m",
    max_tokens: 64,
    messages: [
      { role: "user", content: "list the files" },
      {
        role: "assistant",
        content: [
          { type: "thinking", thinking: "Listing first.", signature: "" },
          { type: "tool_use", id: "toolu_1", name: "Bash", input: {} },
        ],
      },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: "a.txt" }] },
    ],
  };
  const dispatch = new ModelDispatch(
    "messages",
    body,
    undefined,
    "m",
    false,
    "req_1",
    1,
    "default",
    new AbortController().signal,
    {},
    "",
    undefined,
    {
      attempt() {
        throw new Error("no attempt is made here");
      },
    },
    undefined,
    false,
  );
  const made = Object.keys(dispatch);
  expect(made).toContain("unsignedThinking");
  expect(claudeCall("messages", body, provider({}), dispatch, "drop", "claude-sonnet-4-6").dropped).toEqual([
    "content.thinking (unsigned)",
  ]);
  const deepseek = provider({ base_url: "https://api.deepseek.com/anthropic" });
  expect(claudeCall("messages", body, deepseek, dispatch, "drop", "deepseek-chat").body).toBe(body);
  expect(Object.keys(dispatch)).toEqual(made);
  expect([dispatch.unsignedThinking, dispatch.thinkingToMend]).toEqual([true, false]);
});
