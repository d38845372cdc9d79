import { describe, expect, test } from "bun:test";
import { jsonFixture, sseFixture } from "./fixtures/load-fixture.ts";
import { StreamUsageMeter } from "./stream-usage-meter.ts";
import { usageFromAnthropic, usageFromOpenAI } from "./usage-mapping.ts";

describe("usage extraction", () => {
  test("OpenAI bodies: chat.completion, Responses response and response.completed", () => {
    expect(usageFromOpenAI(jsonFixture("openai/chat-tool-calls.json"))).toEqual({
      inputTokens: 84,
      outputTokens: 52,
      cachedInputTokens: 64,
    });
    const response = { object: "response", usage: { input_tokens: 5, output_tokens: 7, total_tokens: 12 } };
    expect(usageFromOpenAI(response)).toEqual({ inputTokens: 5, outputTokens: 7 });
    expect(usageFromOpenAI({ type: "response.completed", response })).toEqual({
      inputTokens: 5,
      outputTokens: 7,
    });
    expect(usageFromOpenAI({ choices: [], usage: null })).toBeUndefined();
  });

  test("embeddings answers: the prompt's count, else the total's (Voyage sends only a total)", () => {
    const embedded = (usage: object) => usageFromOpenAI({ object: "list", data: [], usage });
    expect(embedded({ prompt_tokens: 3, total_tokens: 3 })).toEqual({ inputTokens: 3, outputTokens: 0 });
    expect(embedded({ total_tokens: 2 })).toEqual({ inputTokens: 2, outputTokens: 0 });
    // A chat answer without the prompt's count: what of the total is not the answer's.
    expect(embedded({ completion_tokens: 4, total_tokens: 10 })).toEqual({ inputTokens: 6, outputTokens: 4 });
    expect(usageFromOpenAI({ object: "list", data: [] })).toBeUndefined();
  });

  test("Anthropic message counts cache reads as input, and says how many were cache reads", () => {
    expect(usageFromAnthropic(jsonFixture("anthropic/message-tool-use.json"))).toEqual({
      inputTokens: 572,
      outputTokens: 89,
      cachedInputTokens: 100,
    });
  });

  test("cache writes and reasoning tokens, where a body reports them (pricing needs them)", () => {
    const anthropic = { usage: { input_tokens: 10, cache_creation_input_tokens: 30, output_tokens: 2 } };
    expect(usageFromAnthropic(anthropic)).toEqual({ inputTokens: 40, outputTokens: 2, cacheWriteTokens: 30 });
    const response = {
      usage: {
        input_tokens: 50,
        input_tokens_details: { cached_tokens: 20 },
        output_tokens: 90,
        output_tokens_details: { reasoning_tokens: 64 },
      },
    };
    expect(usageFromOpenAI(response)).toEqual({
      inputTokens: 50,
      outputTokens: 90,
      cachedInputTokens: 20,
      reasoningTokens: 64,
    });
  });

  test("stream meters in both dialects", () => {
    const anthropic = new StreamUsageMeter("anthropic");
    for (const event of sseFixture("anthropic/message-tool-use.sse.txt")) anthropic.observe(event);
    expect(anthropic.usage).toEqual({ inputTokens: 572, outputTokens: 89, cachedInputTokens: 100 });
    const openai = new StreamUsageMeter("openai");
    for (const event of sseFixture("openai/chat-text.sse.txt")) openai.observe(event);
    expect(openai.usage).toEqual({ inputTokens: 19, outputTokens: 10 });
    expect(new StreamUsageMeter("openai").usage).toBeUndefined();
  });
});
