import { describe, expect, test } from "bun:test";
import { messagesUsage } from "./anthropic-to-openai/messages-usage.ts";
import { jsonFixture, sseFixture } from "./fixtures/load-fixture.ts";
import type { OpenAIUsage } from "./openai-schema.ts";
import { converseBilledUsage, converseUsageToOpenAI } from "./openai-to-bedrock/converse-usage.ts";
import { billedUsage, geminiUsageToOpenAI } from "./openai-to-gemini/gemini-usage.ts";
import { responsesUsage } from "./responses/response-envelope.ts";
import { StreamUsageMeter } from "./stream-usage-meter.ts";
import { anthropicUsageToOpenAI, chatUsage, usageFromAnthropic, usageFromOpenAI } from "./usage-mapping.ts";

/** A chat answer's usage as a Messages caller is told it (chat-response-to-messages.ts). */
const toMessagesCaller = (usage: OpenAIUsage) => messagesUsage(chatUsage(usage), undefined);

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

  test("a count that is no count (negative, a fraction, a string, null) is read as not reported, in every shape and translation", () => {
    const chat = { prompt_tokens: -100_000, completion_tokens: 500, total_tokens: -99_500 };
    expect(usageFromOpenAI({ usage: chat })).toEqual({ inputTokens: 0, outputTokens: 500 });
    // A prompt count not reported is what of a total that is one is not the answer's, as when left out.
    expect(
      usageFromOpenAI({ usage: { prompt_tokens: null, completion_tokens: 4, total_tokens: 10 } }),
    ).toEqual({
      inputTokens: 6,
      outputTokens: 4,
    });
    expect(usageFromOpenAI({ usage: { prompt_tokens: 2.5, completion_tokens: "7" } })).toEqual({
      inputTokens: 0,
      outputTokens: 0,
    });
    const responses = {
      usage: { input_tokens: -3, output_tokens: 9, input_tokens_details: { cached_tokens: -1 } },
    };
    expect(usageFromOpenAI(responses)).toEqual({ inputTokens: 0, outputTokens: 9 });
    const anthropic = {
      input_tokens: -100_000,
      cache_read_input_tokens: -5,
      cache_creation_input_tokens: 1.5,
      output_tokens: 10,
    };
    expect(usageFromAnthropic({ usage: anthropic })).toEqual({ inputTokens: 0, outputTokens: 10 });
    // What a translated caller is sent: never a negative.
    expect(anthropicUsageToOpenAI(anthropic)).toEqual({
      prompt_tokens: 0,
      completion_tokens: 10,
      total_tokens: 10,
      prompt_tokens_details: { cached_tokens: 0 },
    });
    expect(toMessagesCaller({ ...chat, prompt_tokens_details: { cached_tokens: -7 } })).toMatchObject({
      input_tokens: 0,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
      output_tokens: 500,
    });
  });

  test("each field that is no count is read as 0 on its own, before any sum: Gemini's and Bedrock's too, a caller told what is billed", () => {
    // A negative prompt is none: not told the chat caller, as it was not billed.
    expect(
      geminiUsageToOpenAI({ promptTokenCount: -100_000, candidatesTokenCount: 10, thoughtsTokenCount: 0 }),
    ).toMatchObject({
      prompt_tokens: 0,
      completion_tokens: 10,
      total_tokens: 10,
    });
    expect(billedUsage({ promptTokenCount: -100_000, candidatesTokenCount: 10 })).toEqual({
      inputTokens: 0,
      outputTokens: 10,
    });
    // A fraction of thoughts takes none of the 10 answer tokens with it.
    const halfThought = { promptTokenCount: 100, candidatesTokenCount: 10, thoughtsTokenCount: 0.5 };
    expect(geminiUsageToOpenAI(halfThought)).toMatchObject({
      completion_tokens: 10,
      total_tokens: 110,
      completion_tokens_details: { reasoning_tokens: 0 },
    });
    expect(billedUsage(halfThought)).toEqual({ inputTokens: 100, outputTokens: 10 });
    // Of the modality entries, only the counts.
    const audio = {
      promptTokenCount: 50,
      candidatesTokenCount: 10,
      promptTokensDetails: [
        { modality: "AUDIO", tokenCount: 30 },
        { modality: "AUDIO", tokenCount: -30 },
      ],
      candidatesTokensDetails: [{ modality: "AUDIO", tokenCount: 2.5 }],
    };
    expect(geminiUsageToOpenAI(audio)).toMatchObject({
      prompt_tokens_details: { audio_tokens: 30 },
      completion_tokens_details: { reasoning_tokens: 0 },
    });
    expect(billedUsage(audio)).toEqual({ inputTokens: 50, outputTokens: 10, inputAudioTokens: 30 });
    // Bedrock: a negative cache read neither takes 900 of the 1,000 input tokens nor is told.
    const converse = { inputTokens: 1000, cacheReadInputTokens: -900, outputTokens: 10 };
    expect(converseUsageToOpenAI(converse)).toEqual({
      prompt_tokens: 1000,
      completion_tokens: 10,
      total_tokens: 1010,
      prompt_tokens_details: { cached_tokens: 0 },
    });
    expect(converseBilledUsage(converse)).toEqual({ inputTokens: 1000, outputTokens: 10 });
  });

  test("a chat usage is told a Responses or Anthropic caller as it is billed: no count that is none, a prompt not reported what of the total is not the answer's", () => {
    const negative = {
      prompt_tokens: -100_000,
      completion_tokens: 10,
      total_tokens: -99_990,
      prompt_tokens_details: { cached_tokens: -5 },
    };
    expect(usageFromOpenAI({ usage: negative })).toEqual({ inputTokens: 0, outputTokens: 10 });
    expect(responsesUsage(negative)).toEqual({
      input_tokens: 0,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: 10,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 10,
    });
    const promptLeftOut = { prompt_tokens: null, completion_tokens: 4, total_tokens: 10 };
    expect(usageFromOpenAI({ usage: promptLeftOut })).toEqual({ inputTokens: 6, outputTokens: 4 });
    expect(responsesUsage(promptLeftOut)).toMatchObject({
      input_tokens: 6,
      output_tokens: 4,
      total_tokens: 10,
    });
    expect(toMessagesCaller(promptLeftOut)).toMatchObject({
      input_tokens: 6,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
      output_tokens: 4,
    });
  });

  test("Anthropic message counts cache reads as input, and says how many were cache reads", () => {
    expect(usageFromAnthropic(jsonFixture("anthropic/message-tool-use.json"))).toEqual({
      inputTokens: 572,
      outputTokens: 89,
      cachedInputTokens: 100,
    });
  });

  test("DeepSeek's cache hits (prompt_cache_hit_tokens, inside prompt_tokens) are cache reads where cached_tokens is not said; with both, counted once", () => {
    const hits = {
      prompt_tokens: 1_000,
      completion_tokens: 10,
      total_tokens: 1_010,
      prompt_cache_hit_tokens: 800,
      prompt_cache_miss_tokens: 200,
    };
    const billed = { inputTokens: 1_000, outputTokens: 10, cachedInputTokens: 800 };
    expect(usageFromOpenAI({ usage: hits })).toEqual(billed);
    expect(toMessagesCaller(hits)).toMatchObject({ input_tokens: 200, cache_read_input_tokens: 800 });
    expect(responsesUsage(hits)).toMatchObject({ input_tokens_details: { cached_tokens: 800 } });
    // DeepSeek's API says both, the same count: read once.
    const both = { ...hits, prompt_tokens_details: { cached_tokens: 800 } };
    expect(usageFromOpenAI({ usage: both })).toEqual(billed);
    // Never more than the prompt, as cached_tokens.
    expect(usageFromOpenAI({ usage: { ...hits, prompt_cache_hit_tokens: 5_000 } })).toEqual({
      ...billed,
      cachedInputTokens: 1_000,
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
    expect(toMessagesCaller(XAI)).toMatchObject({ input_tokens: 1000, output_tokens: 2100 });
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
    expect(toMessagesCaller(openai).output_tokens).toBe(2100);
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

  // Anthropic's usage with a cache written for five minutes and for an hour, and three web searches.
  const CLAUDE = {
    input_tokens: 100,
    cache_creation_input_tokens: 300,
    cache_read_input_tokens: 600,
    cache_creation: { ephemeral_5m_input_tokens: 100, ephemeral_1h_input_tokens: 200 },
    output_tokens: 500,
    server_tool_use: { web_search_requests: 3 },
  };
  // OpenAI's gpt-audio: audio in and out.
  const AUDIO = {
    prompt_tokens: 1000,
    completion_tokens: 500,
    total_tokens: 1500,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 1000, text_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 500, text_tokens: 0 },
  };

  test("parts billed at rates of their own: hour-long cache writes, web searches, audio", () => {
    expect(usageFromAnthropic({ usage: CLAUDE })).toEqual({
      inputTokens: 1000,
      outputTokens: 500,
      cachedInputTokens: 600,
      cacheWriteTokens: 300,
      cacheWrite1hTokens: 200,
      webSearches: 3,
    });
    expect(usageFromOpenAI({ usage: AUDIO })).toEqual({
      inputTokens: 1000,
      outputTokens: 500,
      inputAudioTokens: 1000,
      outputAudioTokens: 500,
    });
    // A Responses answer's searches are its web_search_call items, whole or in response.completed.
    const searched = {
      object: "response",
      output: [
        { type: "web_search_call", id: "ws_1", status: "completed", action: { type: "search" } },
        { type: "web_search_call", id: "ws_2", status: "completed", action: { type: "search" } },
        { type: "message", id: "msg_1", role: "assistant", content: [] },
      ],
      usage: { input_tokens: 900, output_tokens: 80, total_tokens: 980 },
    };
    const read = { inputTokens: 900, outputTokens: 80, webSearches: 2 };
    expect(usageFromOpenAI(searched)).toEqual(read);
    const responses = new StreamUsageMeter("openai");
    responses.observe({ data: JSON.stringify({ type: "response.completed", response: searched }) });
    expect(responses.usage).toEqual(read);
    // Gemini says audio by modality.
    const gemini = {
      promptTokenCount: 1000,
      candidatesTokenCount: 500,
      totalTokenCount: 1500,
      promptTokensDetails: [
        { modality: "TEXT", tokenCount: 400 },
        { modality: "AUDIO", tokenCount: 600 },
      ],
    };
    expect(billedUsage(gemini)).toEqual({ inputTokens: 1000, outputTokens: 500, inputAudioTokens: 600 });
  });

  test("an Anthropic stream: the hour's writes from message_start, the searches from message_delta's running count", () => {
    const meter = new StreamUsageMeter("anthropic");
    const { server_tool_use: _, ...start } = CLAUDE;
    const events = [
      { type: "message_start", message: { id: "msg_1", usage: { ...start, output_tokens: 1 } } },
      {
        type: "message_delta",
        delta: { stop_reason: null },
        usage: { output_tokens: 200, server_tool_use: { web_search_requests: 1 } },
      },
      {
        type: "message_delta",
        delta: { stop_reason: "end_turn" },
        usage: { output_tokens: 500, server_tool_use: { web_search_requests: 3 } },
      },
    ];
    for (const event of events) meter.observe({ event: event.type, data: JSON.stringify(event) });
    expect(meter.usage).toEqual(usageFromAnthropic({ usage: CLAUDE }));
  });

  test("translated, each side keeps what its usage can say: the totals, parts and all", () => {
    // Anthropic's usage has no audio: its input and output count it.
    expect(toMessagesCaller(AUDIO)).toMatchObject({ input_tokens: 1000, output_tokens: 500 });
    // Chat usage has no searches; the prompt counts every write, cached reads and writes said apart
    // (`cache_write_tokens`, OpenRouter's field), as a chat caller is told Converse's.
    expect(anthropicUsageToOpenAI(CLAUDE)).toMatchObject({
      prompt_tokens: 1000,
      completion_tokens: 500,
      prompt_tokens_details: { cached_tokens: 600, cache_write_tokens: 300 },
    });
  });

  test("Claude's cache writes reach a chat caller alike from Anthropic's usage and from Converse's", () => {
    const converse = converseUsageToOpenAI({
      inputTokens: 100,
      cacheWriteInputTokens: 300,
      cacheReadInputTokens: 600,
      outputTokens: 500,
      totalTokens: 1500,
    });
    expect(anthropicUsageToOpenAI(CLAUDE)).toEqual(converse);
    // None written: none said, on either.
    const { cache_creation_input_tokens: _none, cache_creation: _parts, ...read } = CLAUDE;
    expect(anthropicUsageToOpenAI(read).prompt_tokens_details).toEqual({ cached_tokens: 600 });
  });
});
