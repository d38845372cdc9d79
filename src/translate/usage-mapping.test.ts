import { describe, expect, test } from "bun:test";
import { jsonFixture, sseFixture } from "./fixtures/load-fixture.ts";
import { responsesUsage } from "./responses/response-envelope.ts";
import { StreamUsageMeter } from "./stream-usage-meter.ts";
import { openAIUsageToAnthropic, usageFromAnthropic, usageFromOpenAI } from "./usage-mapping.ts";

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

  // xAI's usage as its chat API sends it (docs.x.ai): reasoning beside completion_tokens, in the total.
  const XAI = {
    prompt_tokens: 1000,
    completion_tokens: 100,
    total_tokens: 3100,
    prompt_tokens_details: { text_tokens: 1000, audio_tokens: 0, image_tokens: 0, cached_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 2000, audio_tokens: 0 },
  };

  test("reasoning counted beside completion_tokens (xAI) is output, in every reading and translation", () => {
    const read = { inputTokens: 1000, outputTokens: 2100, reasoningTokens: 2000 };
    expect(usageFromOpenAI({ usage: XAI })).toEqual(read);
    const meter = new StreamUsageMeter("openai");
    meter.observe({ data: JSON.stringify({ object: "chat.completion.chunk", choices: [], usage: XAI }) });
    expect(meter.usage).toEqual(read);
    expect(openAIUsageToAnthropic(XAI)).toMatchObject({ input_tokens: 1000, output_tokens: 2100 });
    expect(responsesUsage(XAI)).toMatchObject({
      input_tokens: 1000,
      output_tokens: 2100,
      total_tokens: 3100,
    });
    // A Responses-shaped usage that counts so is read the same way.
    const beside = { input_tokens: 10, output_tokens: 5, output_tokens_details: { reasoning_tokens: 20 } };
    expect(usageFromOpenAI({ usage: { ...beside, total_tokens: 35 } })?.outputTokens).toBe(25);
  });

  test("reasoning inside completion_tokens (OpenAI), or no total to tell by, is never counted twice", () => {
    const openai = { ...XAI, completion_tokens: 2100 };
    expect(usageFromOpenAI({ usage: openai })).toEqual({
      inputTokens: 1000,
      outputTokens: 2100,
      reasoningTokens: 2000,
    });
    expect(openAIUsageToAnthropic(openai).output_tokens).toBe(2100);
    const { total_tokens: _, ...untotalled } = XAI;
    expect(usageFromOpenAI({ usage: untotalled })?.outputTokens).toBe(100);
    const responses = {
      input_tokens: 10,
      output_tokens: 25,
      output_tokens_details: { reasoning_tokens: 20 },
      total_tokens: 35,
    };
    expect(usageFromOpenAI({ usage: responses })?.outputTokens).toBe(25);
  });
});
