import { describe, expect, test } from "bun:test";
import { GatewayError } from "../../core/gateway-error.ts";
import { finishOrFailure } from "../../testing/finish-or-failure.ts";
import { collect, jsonFixture, payloads, replay } from "../fixtures/load-fixture.ts";
import { translateStream } from "../stream/stream-driver.ts";
import { geminiResponseToChat } from "./gemini-response-to-chat.ts";
import { GeminiChunkWriter, geminiEventReader } from "./gemini-stream-to-chat.ts";

// Gemini's whole answers as chat: text, calls, finish reasons, failures.

describe("Gemini → chat: answers", () => {
  test("a recorded response: its thought summary (there when asked) as reasoning_content, function call, thinking tokens billed as output", () => {
    const chat = geminiResponseToChat(jsonFixture("gemini/generate-content-tool.json"), "g", "chatcmpl-g", 1);
    expect(chat.choices).toEqual([
      {
        index: 0,
        message: {
          role: "assistant",
          content: "I'll check.",
          refusal: null,
          reasoning_content: "**Checking weather**",
          tool_calls: [
            {
              id: expect.stringMatching(/^call_[0-9a-f]{32}__ts_CiIBVKhc7oXs$/),
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

  test("two answers' tool calls have ids of their own, in answers and streams alike", async () => {
    const answer = {
      candidates: [{ content: { parts: [{ functionCall: { name: "f", args: {} } }] }, finishReason: "STOP" }],
    };
    const ids = [geminiResponseToChat(answer, "g", "a", 1), geminiResponseToChat(answer, "g", "b", 1)].map(
      (chat) =>
        (chat as { choices: { message: { tool_calls: { id: string }[] } }[] }).choices[0]?.message
          .tool_calls[0]?.id,
    );
    for (const request of ["c", "d"]) {
      const writer = new GeminiChunkWriter(request, "g", false);
      const out = payloads(
        await collect(
          translateStream(replay([{ data: JSON.stringify(answer) }]), geminiEventReader(), writer).events,
        ),
      );
      ids.push(
        out
          .flatMap((p) => (p as { choices?: { delta?: { tool_calls?: { id: string }[] } }[] }).choices ?? [])
          .flatMap((c) => c.delta?.tool_calls ?? [])[0]?.id,
      );
    }
    expect(ids.every((id) => /^call_[0-9a-f]{32}$/.test(id ?? ""))).toBe(true);
    expect(new Set(ids).size).toBe(4);
  });

  test("a blocked prompt answers as an empty content_filter choice", () => {
    const chat = geminiResponseToChat({ promptFeedback: { blockReason: "SAFETY" } }, "g", "c", 1);
    expect(chat.choices).toMatchObject([{ finish_reason: "content_filter", message: { content: "" } }]);
  });

  test("MALFORMED_FUNCTION_CALL (and OTHER, …) is a failure, not an empty stop: a retryable 502, or the stream's error event", async () => {
    const ended = (reason: string, parts: object[] = []) => ({
      candidates: [{ content: { role: "model", parts }, finishReason: reason }],
    });
    for (const reason of [
      "MALFORMED_FUNCTION_CALL",
      "UNEXPECTED_TOOL_CALL",
      "TOO_MANY_TOOL_CALLS",
      "OTHER",
    ]) {
      const failure = (() => {
        try {
          return geminiResponseToChat(ended(reason), "g", "c", 1);
        } catch (error) {
          return error;
        }
      })() as GatewayError;
      expect(failure).toBeInstanceOf(GatewayError);
      expect([failure.status, failure.code, failure.retryable]).toEqual([502, "upstream_error", true]);
    }
    const writer = new GeminiChunkWriter("c", "g", false);
    const events = [
      { data: JSON.stringify(ended("", [{ text: "Let me " }])) },
      { data: JSON.stringify(ended("MALFORMED_FUNCTION_CALL")) },
    ];
    const stream = translateStream(replay(events), geminiEventReader(), writer);
    const written: unknown[] = [];
    const failure = await (async () => {
      for await (const event of stream.events) written.push(event);
    })().catch((e: unknown) => e);
    expect(written.length).toBeGreaterThan(0);
    expect((failure as GatewayError).message).toBe(
      "the model produced a malformed function call (Gemini finishReason MALFORMED_FUNCTION_CALL)",
    );
    expect(JSON.parse(stream.failureEvents(failure as GatewayError)[0]?.data ?? "").error.type).toBe(
      "server_error",
    );
  });

  test("every finishReason of Google's enum reads as it means, each as one exact finish_reason or failure; one the gateway does not know ends a turn that wrote text or calls as stop or tool_calls (told once), and fails only a turn that wrote nothing", () => {
    const said = { text: "partial" };
    const call = { functionCall: { id: "fc1", name: "f", args: {} } };
    const ended = (reason: string, parts: object[]) => ({
      candidates: [{ content: { role: "model", parts }, finishReason: reason }],
      usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 3 },
    });
    const told: string[] = [];
    const read = (reason: string, parts: object[] = [said]): string =>
      finishOrFailure(
        () =>
          geminiResponseToChat(ended(reason, parts), "g", "c", 1, (field, why) =>
            told.push(`${field} ${why}`),
          ),
        { inputTokens: 10, outputTokens: 3 },
      );
    const failed = (words: string, reason: string) => `502: ${words} (Gemini finishReason ${reason})`;
    // FinishReason of google-genai's types (the Gemini API's and Vertex AI's), in its order.
    const table: Array<[string, string]> = [
      ["FINISH_REASON_UNSPECIFIED", "stop"],
      ["STOP", "stop"],
      ["MAX_TOKENS", "length"],
      ["SAFETY", "content_filter"],
      ["RECITATION", "content_filter"],
      ["LANGUAGE", "content_filter"],
      ["OTHER", failed("the model stopped for an unspecified reason", "OTHER")],
      ["BLOCKLIST", "content_filter"],
      ["PROHIBITED_CONTENT", "content_filter"],
      ["SPII", "content_filter"],
      [
        "MALFORMED_FUNCTION_CALL",
        failed("the model produced a malformed function call", "MALFORMED_FUNCTION_CALL"),
      ],
      ["IMAGE_SAFETY", "content_filter"],
      [
        "UNEXPECTED_TOOL_CALL",
        failed("the model called a tool that was not offered", "UNEXPECTED_TOOL_CALL"),
      ],
      ["IMAGE_PROHIBITED_CONTENT", "content_filter"],
      ["IMAGE_OTHER", failed("the model stopped making an image for an unspecified reason", "IMAGE_OTHER")],
      ["NO_IMAGE", failed("the model was to make an image and made none", "NO_IMAGE")],
      ["IMAGE_RECITATION", "content_filter"],
      ["TOO_MANY_TOOL_CALLS", failed("the model made too many tool calls", "TOO_MANY_TOOL_CALLS")],
      [
        "MISSING_THOUGHT_SIGNATURE",
        failed("the request lacks a thought signature the model needs", "MISSING_THOUGHT_SIGNATURE"),
      ],
      ["MALFORMED_RESPONSE", failed("the model produced a malformed response", "MALFORMED_RESPONSE")],
      ["MODEL_ARMOR", "content_filter"],
      ["SOME_REASON_ADDED_LATER", "stop"],
    ];
    expect(table.map(([reason]) => [reason, read(reason)])).toEqual(table);
    expect(read("STOP", [said, call])).toBe("tool_calls");
    expect(read("SOME_REASON_ADDED_LATER", [call])).toBe("tool_calls");
    for (const reason of ["FINISH_REASON_UNSPECIFIED", "SOME_REASON_ADDED_LATER"])
      expect(read(reason, [])).toBe(
        failed("the model stopped for a reason the gateway does not know, having written nothing", reason),
      );
    expect(told).toEqual([
      "Gemini finishReason FINISH_REASON_UNSPECIFIED",
      "Gemini finishReason SOME_REASON_ADDED_LATER",
      "Gemini finishReason SOME_REASON_ADDED_LATER",
      "Gemini finishReason FINISH_REASON_UNSPECIFIED",
      "Gemini finishReason SOME_REASON_ADDED_LATER",
    ]);
  });
});
