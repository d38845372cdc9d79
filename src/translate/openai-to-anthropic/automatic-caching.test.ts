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
  const marked = (cache_control: JsonObject) => [
    { role: "user", content: [{ type: "text", text: "hi", cache_control }] },
  ];

  test("to an upstream that caches automatically: Anthropic's, its ttl kept, nothing named", () => {
    const { body, dropped } = translated(
      { prompt_cache_key: undefined, cache_control: { type: "ephemeral", ttl: "1h" } },
      true,
    );
    expect(body.cache_control).toEqual({ type: "ephemeral", ttl: "1h" });
    expect(dropped).toEqual([]);
  });

  test("beside the caller's mark on the last block of the same ttl (Anthropic: a no-op): sent", () => {
    const { body, dropped } = translated({ messages: marked(EPHEMERAL), cache_control: EPHEMERAL }, true);
    expect(body.cache_control).toEqual(EPHEMERAL);
    expect(dropped).toEqual([]);
  });

  test("where Anthropic would answer 400, left out and named, refused under reject", () => {
    const four = [0, 1, 2, 3].map((n) => ({ type: "text", text: `part ${n}`, cache_control: EPHEMERAL }));
    const unfit: JsonObject[] = [
      // Four breakpoints of the caller's: no slot left for the automatic one.
      { messages: [{ role: "user", content: four }], cache_control: EPHEMERAL },
      // The last block marked with another ttl.
      { messages: marked(EPHEMERAL), cache_control: { type: "ephemeral", ttl: "1h" } },
      // A 1h entry after a 5m one: Anthropic wants the longer first.
      {
        messages: [
          { role: "system", content: [{ type: "text", text: "rules", cache_control: EPHEMERAL }] },
          { role: "user", content: "hi" },
        ],
        cache_control: { type: "ephemeral", ttl: "1h" },
      },
    ];
    for (const more of unfit) {
      const { body, dropped } = translated(more, true);
      expect(body.cache_control).toBeUndefined();
      expect(dropped).toEqual(["cache_control"]);
      const request = { ...KEYED, messages: [{ role: "user", content: "hi" }], ...more };
      expect(() => chatRequestToMessages(request, new Dropped("reject"), undefined, false, true)).toThrow(
        /cache_control/,
      );
    }
  });

  test("a 5m one after a caller's 1h mark fits: sent", () => {
    const { body, dropped } = translated(
      {
        messages: [
          {
            role: "system",
            content: [{ type: "text", text: "rules", cache_control: { type: "ephemeral", ttl: "1h" } }],
          },
          { role: "user", content: "hi" },
        ],
        cache_control: EPHEMERAL,
      },
      true,
    );
    expect(body.cache_control).toEqual(EPHEMERAL);
    expect(dropped).toEqual([]);
  });

  test("to one that does not: nothing added, named", () => {
    const { body, dropped } = translated({ prompt_cache_key: undefined, cache_control: EPHEMERAL }, false);
    expect(body.cache_control).toBeUndefined();
    expect(dropped).toEqual(["cache_control"]);
  });
});
