import { describe, expect, test } from "bun:test";
import type { Usage } from "../../core/usage.ts";
import { collect, payloads, replay } from "../fixtures/load-fixture.ts";
import { translateStream } from "../stream/stream-driver.ts";
import { geminiResponseToChat } from "./gemini-response-to-chat.ts";
import { GeminiChunkWriter, geminiEventReader } from "./gemini-stream-to-chat.ts";
import { billedUsage, geminiUsageToOpenAI } from "./gemini-usage.ts";

// As Google reports a grounded turn: Search's results are a tool-use prompt, outside
// promptTokenCount and inside totalTokenCount (100 + 900 + 40 + 10 = 1050).
const grounded = {
  promptTokenCount: 100,
  toolUsePromptTokenCount: 900,
  candidatesTokenCount: 40,
  thoughtsTokenCount: 10,
  totalTokenCount: 1050,
};

describe("Gemini usage", () => {
  test("tool-use prompt tokens are billed as input, in the chat usage and the gateway's", () => {
    expect(geminiUsageToOpenAI(grounded)).toMatchObject({
      prompt_tokens: 1000,
      completion_tokens: 50,
      total_tokens: 1050,
    });
    expect(billedUsage(grounded)).toEqual({ inputTokens: 1000, outputTokens: 50, reasoningTokens: 10 });
    const answer = { candidates: [{ content: { parts: [{ text: "hi" }] }, finishReason: "STOP" }] };
    const chat = geminiResponseToChat({ ...answer, usageMetadata: grounded }, "g", "c", 1);
    expect(chat.usage).toMatchObject({ prompt_tokens: 1000, total_tokens: 1050 });
  });

  test("a stream tells a tool-use prompt's tokens when only they change, and closes with them", async () => {
    const event = (text: string, usageMetadata: object, finishReason?: string) => ({
      data: JSON.stringify({
        candidates: [
          { content: { role: "model", parts: [{ text }] }, ...(finishReason ? { finishReason } : {}) },
        ],
        usageMetadata,
      }),
    });
    const before = { promptTokenCount: 100, candidatesTokenCount: 40, thoughtsTokenCount: 10 };
    const told: Usage[] = [];
    const stream = translateStream(
      replay([event("Hello", before), event("!", grounded, "STOP")]),
      geminiEventReader(),
      new GeminiChunkWriter("c", "g", true),
      (usage) => told.push(usage),
    );
    const out = payloads(await collect(stream.events));
    expect(told.at(-1)).toEqual({ inputTokens: 1000, outputTokens: 50, reasoningTokens: 10 });
    expect(out.at(-2)).toMatchObject({ usage: { prompt_tokens: 1000, total_tokens: 1050 } });
  });
});
