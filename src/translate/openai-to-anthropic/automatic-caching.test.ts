import { describe, expect, test } from "bun:test";
import type { JsonObject } from "../../core/dialect.ts";
import { Dropped } from "../dropped.ts";
import { chatRequestToMessages } from "./chat-request-to-messages.ts";

// A chat caller's `prompt_cache_key` (Codex's session id, a Responses caller's carried into chat)
// toward Anthropic's own API: its automatic caching, unless the caller marks breakpoints itself;
// toward an upstream that does not cache automatically (Claude on Bedrock or Vertex AI), named.

const EPHEMERAL = { type: "ephemeral" };
const KEYED = { model: "claude-sonnet-4-6", max_tokens: 100, prompt_cache_key: "session-1" };

function translated(more: JsonObject, caches: boolean) {
  const dropped = new Dropped();
  const body = chatRequestToMessages(
    { ...KEYED, messages: [{ role: "user", content: "hi" }], ...more },
    dropped,
    undefined,
    false,
    caches,
  );
  return { body, dropped: dropped.list };
}

describe("prompt_cache_key toward Claude", () => {
  test("to an upstream that caches automatically: a top-level cache_control, the key not named", () => {
    const { body, dropped } = translated({}, true);
    expect(body.cache_control).toEqual(EPHEMERAL);
    expect(body.prompt_cache_key).toBeUndefined();
    expect(dropped).not.toContain("prompt_cache_key");
  });

  test("a caller's own breakpoint, on a part or a tool: left as it marked them", () => {
    const part = translated(
      { messages: [{ role: "user", content: [{ type: "text", text: "hi", cache_control: EPHEMERAL }] }] },
      true,
    );
    expect(part.body.cache_control).toBeUndefined();
    const tool = translated(
      { tools: [{ type: "function", function: { name: "f", parameters: {} }, cache_control: EPHEMERAL }] },
      true,
    );
    expect(tool.body.cache_control).toBeUndefined();
  });

  test("to an upstream that does not (Bedrock, Vertex AI, DeepSeek): nothing added, the key named", () => {
    const { body, dropped } = translated({}, false);
    expect(body.cache_control).toBeUndefined();
    expect(dropped).toContain("prompt_cache_key");
  });

  test("without a key, nothing is asked", () => {
    const { body } = translated({ prompt_cache_key: undefined }, true);
    expect(body.cache_control).toBeUndefined();
  });
});

describe("a top-level cache_control (OpenRouter's automatic caching) toward Claude", () => {
  test("to an upstream that caches automatically: Anthropic's, its ttl kept, beside the caller's marks", () => {
    const marked = [{ role: "user", content: [{ type: "text", text: "hi", cache_control: EPHEMERAL }] }];
    const { body, dropped } = translated(
      { messages: marked, cache_control: { type: "ephemeral", ttl: "1h" } },
      true,
    );
    expect(body.cache_control).toEqual({ type: "ephemeral", ttl: "1h" });
    expect(dropped).toEqual([]);
  });

  test("to one that does not: nothing added, named", () => {
    const { body, dropped } = translated({ prompt_cache_key: undefined, cache_control: EPHEMERAL }, false);
    expect(body.cache_control).toBeUndefined();
    expect(dropped).toEqual(["cache_control"]);
  });
});
