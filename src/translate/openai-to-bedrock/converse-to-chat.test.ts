import { describe, expect, test } from "bun:test";
import { GatewayError } from "../../core/gateway-error.ts";
import type { SseEvent } from "../../core/sse.ts";
import { collect, jsonFixture, payloads } from "../fixtures/load-fixture.ts";
import { translateStream } from "../stream/stream-driver.ts";
import { converseResponseToChat } from "./converse-response-to-chat.ts";
import { ConverseChunkWriter, type ConverseEvent, readConverseEvent } from "./converse-stream-to-chat.ts";

describe("Converse → chat", () => {
  test("a recorded tool-use response: text, tool_calls, finish reason, usage with cache tokens", () => {
    const chat = converseResponseToChat(
      jsonFixture("bedrock/converse-tool-use.json"),
      "claude",
      "chatcmpl-1",
      7,
    );
    expect(chat).toEqual({
      id: "chatcmpl-1",
      object: "chat.completion",
      created: 7,
      model: "claude",
      choices: [
        {
          index: 0,
          message: {
            role: "assistant",
            content: "Let me look that up.",
            refusal: null,
            tool_calls: [
              {
                id: "tooluse_kZJMlvQmRJ6eAyJE5GIl7Q",
                type: "function",
                function: { name: "get_weather", arguments: '{"city":"Paris","unit":"celsius"}' },
              },
            ],
          },
          logprobs: null,
          finish_reason: "tool_calls",
        },
      ],
      usage: {
        prompt_tokens: 524,
        completion_tokens: 57,
        total_tokens: 581,
        prompt_tokens_details: { cached_tokens: 100 },
      },
    });
  });

  test("a recorded stream: deltas in order, tool call indexed, usage from metadata after messageStop", async () => {
    const events = jsonFixture("bedrock/converse-stream-tool-use.json") as unknown as ConverseEvent[];
    async function* replay() {
      for (const { type, payload } of events) yield { event: type, data: JSON.stringify(payload) };
    }
    const writer = new ConverseChunkWriter("c1", "claude", true);
    const told: unknown[] = [];
    const translated = translateStream(replay(), readConverseEvent, writer, (usage) => told.push(usage));
    const out = payloads(await collect(translated.events));
    // The metadata event's usage is told as it is read, as well as written in the last chunk.
    expect(told).toEqual([{ inputTokens: 412, outputTokens: 31 }]);
    const deltas = out.flatMap((p) =>
      typeof p === "object" && p && "choices" in p ? (p.choices as { delta?: unknown }[]) : [],
    );
    expect(deltas.map((c) => c.delta)).toEqual([
      { role: "assistant", content: "", refusal: null },
      { content: "Let me" },
      { content: " check." },
      {
        tool_calls: [
          { index: 0, id: "tooluse_a1", type: "function", function: { name: "get_weather", arguments: "" } },
        ],
      },
      { tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] },
      { tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] },
      {},
    ]);
    expect(out.at(-2)).toMatchObject({ choices: [], usage: { prompt_tokens: 412, completion_tokens: 31 } });
    expect(out.at(-1)).toBe("[DONE]");
  });

  test("a stream cut before messageStop is an upstream failure, not a clean end", async () => {
    async function* cut() {
      yield { event: "messageStart", data: "{}" };
      yield { event: "contentBlockDelta", data: '{"delta":{"text":"half"}}' };
    }
    const translated = translateStream(cut(), readConverseEvent, new ConverseChunkWriter("c", "m", false));
    await expect(collect(translated.events)).rejects.toThrow("ended before the answer was complete");
  });

  test("malformed_tool_use and malformed_model_output (and a stopReason the gateway does not know) are failures, not an empty stop: a retryable 502 with Bedrock's usage, or the stream's error event", async () => {
    const usage = { inputTokens: 30, outputTokens: 4 };
    const answered = (stopReason: string | null) => ({
      output: { message: { role: "assistant", content: [] } },
      stopReason,
      usage,
    });
    const failureOf = (stopReason: string) => {
      try {
        converseResponseToChat(answered(stopReason), "m", "c", 1);
      } catch (error) {
        if (error instanceof GatewayError) return error;
        throw error;
      }
      throw new Error(`${stopReason} answered`);
    };
    for (const [reason, words] of [
      ["malformed_tool_use", "the model produced a malformed tool call"],
      ["malformed_model_output", "the model produced malformed output"],
      ["a_reason_added_later", "the model stopped for a reason the gateway does not know"],
    ] as const) {
      const failure = failureOf(reason);
      expect([failure.status, failure.code, failure.retryable, failure.countsAgainstRoute]).toEqual([
        502,
        "upstream_error",
        true,
        false,
      ]);
      expect(failure.message).toBe(`${words} (Bedrock stopReason ${reason})`);
      expect(failure.usage).toMatchObject({ inputTokens: 30, outputTokens: 4 });
    }
    for (const [reason, finish] of [
      [null, "stop"],
      ["end_turn", "stop"],
      ["stop_sequence", "stop"],
      ["model_context_window_exceeded", "length"],
      ["guardrail_intervened", "content_filter"],
    ] as const)
      expect(converseResponseToChat(answered(reason), "m", "c", 1)).toMatchObject({
        choices: [{ finish_reason: finish }],
      });

    // Streamed: thrown at the metadata after messageStop, with its usage; the text before it was written.
    async function* stream(text: string) {
      yield { event: "messageStart", data: '{"role":"assistant"}' };
      if (text) yield { event: "contentBlockDelta", data: JSON.stringify({ delta: { text } }) };
      yield { event: "messageStop", data: '{"stopReason":"malformed_tool_use"}' };
      yield { event: "metadata", data: JSON.stringify({ usage }) };
    }
    for (const text of ["", "Let me "]) {
      const written: SseEvent[] = [];
      const translated = translateStream(
        stream(text),
        readConverseEvent,
        new ConverseChunkWriter("c", "m", true),
      );
      const failure = await (async () => {
        for await (const event of translated.events) written.push(event);
      })().catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(GatewayError);
      expect((failure as GatewayError).usage).toMatchObject({ inputTokens: 30, outputTokens: 4 });
      expect(written).toHaveLength(text ? 2 : 1); // the role chunk, the text
      expect(JSON.parse(translated.failureEvents(failure as GatewayError)[0]?.data ?? "").error.type).toBe(
        "server_error",
      );
    }
  });
});
