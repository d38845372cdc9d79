import { describe, expect, test } from "bun:test";
import { GatewayError } from "../../core/gateway-error.ts";
import { collect, jsonFixture, payloads, replay, sseFixture } from "../fixtures/load-fixture.ts";
import { translateStream } from "../stream/stream-driver.ts";
import { chatRequestToGemini } from "./chat-request-to-gemini.ts";
import { geminiResponseToChat } from "./gemini-response-to-chat.ts";
import { GeminiChunkWriter, readGeminiEvent } from "./gemini-stream-to-chat.ts";

const googleErrors = jsonFixture("gemini/errors.json");

describe("chat request → Gemini generateContent", () => {
  test("system instruction, model turns, function calls and responses by name, settings", () => {
    const out = chatRequestToGemini({
      model: "gemini-2.5-flash",
      messages: [
        { role: "system", content: "be brief" },
        { role: "user", content: "weather?" },
        {
          role: "assistant",
          content: "checking",
          tool_calls: [
            { id: "c1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } },
          ],
        },
        { role: "tool", tool_call_id: "c1", content: '{"temp_c":18}' },
        { role: "tool", tool_call_id: "c1", content: "plain text" },
      ],
      tools: [
        {
          type: "function",
          function: { name: "get_weather", description: "w", parameters: { type: "object" } },
        },
      ],
      tool_choice: "required",
      max_tokens: 64,
      seed: 4,
      reasoning_effort: "low",
      response_format: { type: "json_schema", json_schema: { name: "x", schema: { type: "object" } } },
    });
    expect(out).toEqual({
      contents: [
        { role: "user", parts: [{ text: "weather?" }] },
        {
          role: "model",
          parts: [
            { text: "checking" },
            { functionCall: { id: "c1", name: "get_weather", args: { city: "Paris" } } },
          ],
        },
        {
          role: "user",
          parts: [
            { functionResponse: { id: "c1", name: "get_weather", response: { temp_c: 18 } } },
            { functionResponse: { id: "c1", name: "get_weather", response: { result: "plain text" } } },
          ],
        },
      ],
      systemInstruction: { parts: [{ text: "be brief" }] },
      generationConfig: {
        maxOutputTokens: 64,
        seed: 4,
        responseMimeType: "application/json",
        responseJsonSchema: { type: "object" },
        thinkingConfig: { thinkingBudget: 1024 },
      },
      tools: [
        {
          functionDeclarations: [
            { name: "get_weather", description: "w", parametersJsonSchema: { type: "object" } },
          ],
        },
      ],
      toolConfig: { functionCallingConfig: { mode: "ANY" } },
    });
  });

  test("a tool result for a call never made is the caller's 400", () => {
    const run = () =>
      chatRequestToGemini({ model: "m", messages: [{ role: "tool", tool_call_id: "nope", content: "x" }] });
    expect(run).toThrow(GatewayError);
    expect(run).toThrow("messages.0.tool_call_id");
  });
});

describe("Gemini → chat", () => {
  test("a recorded response: thoughts left out, function call, thinking tokens billed as output", () => {
    const chat = geminiResponseToChat(jsonFixture("gemini/generate-content-tool.json"), "g", "chatcmpl-g", 1);
    expect(chat.choices).toEqual([
      {
        index: 0,
        message: {
          role: "assistant",
          content: "I'll check.",
          refusal: null,
          tool_calls: [
            {
              id: "call_0",
              type: "function",
              function: { name: "get_weather", arguments: '{"city":"Paris"}' },
            },
          ],
        },
        logprobs: null,
        finish_reason: "tool_calls",
      },
    ]);
    expect(chat.usage).toEqual({
      prompt_tokens: 120,
      completion_tokens: 50,
      total_tokens: 170,
      prompt_tokens_details: { cached_tokens: 64 },
      completion_tokens_details: { reasoning_tokens: 32 },
    });
  });

  test("a blocked prompt answers as an empty content_filter choice", () => {
    const chat = geminiResponseToChat({ promptFeedback: { blockReason: "SAFETY" } }, "g", "c", 1);
    expect(chat.choices).toMatchObject([{ finish_reason: "content_filter", message: { content: "" } }]);
  });

  test("a recorded stream: text deltas, the finish chunk, usage from the last event", async () => {
    const writer = new GeminiChunkWriter("c", "g", true);
    const events = replay(sseFixture("gemini/stream-text.sse.txt"));
    const out = payloads(await collect(translateStream(events, readGeminiEvent, writer).events));
    const text = out
      .flatMap((p) => (p as { choices?: { delta?: { content?: string } }[] }).choices ?? [])
      .map((c) => c.delta?.content ?? "")
      .join("");
    expect(text).toBe("The capital of France is Paris.");
    expect(out.at(-3)).toMatchObject({ choices: [{ delta: {}, finish_reason: "stop" }] });
    expect(out.at(-2)).toMatchObject({ choices: [], usage: { prompt_tokens: 9, completion_tokens: 31 } });
    expect(out.at(-1)).toBe("[DONE]");
  });

  test("Google's error object mid-stream: a 429 stays one with RetryInfo's delay; no Google body reaches the caller", async () => {
    const head = sseFixture("gemini/stream-text.sse.txt").slice(0, 1);
    const errorEvent = (name: string) => ({ data: JSON.stringify(googleErrors[name]) });
    for (const [name, status] of [
      ["rateLimited", 429],
      ["unavailable", 502],
    ] as const) {
      const writer = new GeminiChunkWriter("c", "g", false);
      const stream = translateStream(replay([...head, errorEvent(name)]), readGeminiEvent, writer);
      const failure = await collect(stream.events).catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(GatewayError);
      expect((failure as GatewayError).status).toBe(status);
      const wire = JSON.parse(stream.errorEvent(failure as GatewayError).data);
      expect(wire.error.type).toBe(status === 429 ? "rate_limit_error" : "server_error");
      expect(wire.error).not.toHaveProperty("status");
    }
    const writer = new GeminiChunkWriter("c", "g", false);
    const limited = await collect(
      translateStream(replay([errorEvent("rateLimited")]), readGeminiEvent, writer).events,
    ).catch((e: unknown) => e);
    expect((limited as GatewayError).headers).toEqual({ "retry-after": "12" });
  });

  test("a stream without a finishReason is an upstream failure", async () => {
    const events = sseFixture("gemini/stream-text.sse.txt").slice(0, 2);
    const writer = new GeminiChunkWriter("c", "g", false);
    await expect(collect(translateStream(replay(events), readGeminiEvent, writer).events)).rejects.toThrow(
      "ended before the answer was complete",
    );
  });
});
