import { describe, expect, test } from "bun:test";
import { GatewayError } from "../../core/gateway-error.ts";
import type { SseEvent } from "../../core/sse.ts";
import type { Usage } from "../../core/usage.ts";
import { linearCost } from "../../pricing/catalogue.ts";
import { finishOrFailure } from "../../testing/finish-or-failure.ts";
import { chatResponseToMessages } from "../anthropic-to-openai/chat-response-to-messages.ts";
import { collect, jsonFixture, payloads } from "../fixtures/load-fixture.ts";
import { chatResponseToResponse } from "../responses/chat-response-to-response.ts";
import { translateStream } from "../stream/stream-driver.ts";
import { usageFromOpenAI } from "../usage-mapping.ts";
import { converseResponseToChat } from "./converse-response-to-chat.ts";
import { ConverseChunkWriter, type ConverseEvent, readConverseEvent } from "./converse-stream-to-chat.ts";
import { converseBilledUsage } from "./converse-usage.ts";

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
        prompt_tokens_details: { cached_tokens: 100, cache_write_tokens: 12 },
      },
    });
  });

  test("cache reads and writes, which Converse counts beside inputTokens, are in each caller's prompt once, reads as its cached tokens, writes as an Anthropic caller's cache_creation_input_tokens, and billed at their rates", () => {
    const usage = {
      inputTokens: 40,
      outputTokens: 9,
      totalTokens: 1049,
      cacheReadInputTokens: 800,
      cacheWriteInputTokens: 200,
    };
    const answered = {
      output: { message: { role: "assistant", content: [{ text: "Hi." }] } },
      stopReason: "end_turn",
      usage,
    };
    const chat = converseResponseToChat(answered, "m", "c", 1);
    expect(chat.usage).toEqual({
      prompt_tokens: 1040,
      completion_tokens: 9,
      total_tokens: 1049,
      prompt_tokens_details: { cached_tokens: 800, cache_write_tokens: 200 },
    });
    // What the gateway bills (the audit row, the price: writes at the write rate, reads at the read rate).
    const billed = usageFromOpenAI(chat);
    expect(billed).toEqual({
      inputTokens: 1040,
      outputTokens: 9,
      cachedInputTokens: 800,
      cacheWriteTokens: 200,
    });
    expect(converseBilledUsage(usage)).toEqual(billed);
    const rates = { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 };
    expect(linearCost(rates, billed as Usage)).toBeCloseTo(
      (40 * 3 + 800 * 0.3 + 200 * 3.75 + 9 * 15) / 1e6,
      12,
    );
    // An Anthropic caller: Anthropic's own split, which adds up to the same prompt.
    expect(chatResponseToMessages(chat, "m").usage).toMatchObject({
      input_tokens: 40,
      cache_creation_input_tokens: 200,
      cache_read_input_tokens: 800,
      output_tokens: 9,
    });
    // A Responses caller: the whole prompt, reads as its cached tokens.
    expect(chatResponseToResponse(chat, { model: "m", input: "hi" }, "resp_1").usage).toMatchObject({
      input_tokens: 1040,
      input_tokens_details: { cached_tokens: 800 },
      output_tokens: 9,
      total_tokens: 1049,
    });
    // No cache at all: no write field, the usage as it was.
    const plain = converseResponseToChat(
      { ...answered, usage: { inputTokens: 40, outputTokens: 9 } },
      "m",
      "c",
      1,
    );
    expect(plain.usage).toEqual({
      prompt_tokens: 40,
      completion_tokens: 9,
      total_tokens: 49,
      prompt_tokens_details: { cached_tokens: 0 },
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

  test('a call of no arguments streams "{}" at its block\'s stop, as the whole answer says it, never ""', async () => {
    async function* noArguments() {
      yield { event: "messageStart", data: '{"role":"assistant"}' };
      const start = { contentBlockIndex: 0, start: { toolUse: { toolUseId: "tooluse_1", name: "now" } } };
      yield { event: "contentBlockStart", data: JSON.stringify(start) };
      yield { event: "contentBlockDelta", data: '{"contentBlockIndex":0,"delta":{"toolUse":{"input":""}}}' };
      yield { event: "contentBlockStop", data: '{"contentBlockIndex":0}' };
      yield { event: "messageStop", data: '{"stopReason":"tool_use"}' };
    }
    const writer = new ConverseChunkWriter("c", "m", false);
    const out = payloads(await collect(translateStream(noArguments(), readConverseEvent, writer).events));
    const args = out.flatMap((p) =>
      typeof p === "object" && p && "choices" in p
        ? (p.choices as { delta?: { tool_calls?: { function: { arguments: string } }[] } }[]).flatMap(
            (c) => c.delta?.tool_calls?.map((call) => call.function.arguments) ?? [],
          )
        : [],
    );
    expect(args.join("")).toBe("{}");
  });

  test("a stream cut before messageStop is an upstream failure, not a clean end", async () => {
    async function* cut() {
      yield { event: "messageStart", data: "{}" };
      yield { event: "contentBlockDelta", data: '{"delta":{"text":"half"}}' };
    }
    const translated = translateStream(cut(), readConverseEvent, new ConverseChunkWriter("c", "m", false));
    await expect(collect(translated.events)).rejects.toThrow(
      "ended the stream before the answer was complete",
    );
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
      [
        "a_reason_added_later",
        "the model stopped for a reason the gateway does not know, having written nothing",
      ],
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

  test("every stopReason of Bedrock's enum reads as one exact finish_reason or failure; one the gateway does not know ends a turn that wrote text or calls as stop or tool_calls (told), and fails only a turn that wrote nothing", () => {
    const usage = { inputTokens: 30, outputTokens: 4 };
    const said = { text: "The answer." };
    const call = { toolUse: { toolUseId: "t1", name: "f", input: {} } };
    const told: string[] = [];
    const read = (stopReason: string | null, content: object[] = [said]): string => {
      const answered = { output: { message: { role: "assistant", content } }, stopReason, usage };
      return finishOrFailure(
        () =>
          converseResponseToChat(answered, "m", "c", 1, (field, reason) => told.push(`${field} ${reason}`)),
        { inputTokens: 30, outputTokens: 4 },
      );
    };
    // StopReason of the Bedrock Runtime API (Converse, ConverseStream's messageStop), every value.
    const table: Array<[string, string]> = [
      ["end_turn", "stop"],
      ["tool_use", "tool_calls"],
      ["max_tokens", "length"],
      ["stop_sequence", "stop"],
      ["guardrail_intervened", "content_filter"],
      ["content_filtered", "content_filter"],
      [
        "malformed_model_output",
        "502: the model produced malformed output (Bedrock stopReason malformed_model_output)",
      ],
      [
        "malformed_tool_use",
        "502: the model produced a malformed tool call (Bedrock stopReason malformed_tool_use)",
      ],
      ["model_context_window_exceeded", "length"],
      // Not Converse's: Anthropic's own, or a Bedrock-compatible server's.
      ["refusal", "stop"],
      ["pause_turn", "stop"],
    ];
    expect(table.map(([reason]) => [reason, read(reason)])).toEqual(table);
    expect(read(null)).toBe("stop");
    expect(read("end_turn", [said, call])).toBe("tool_calls");
    expect(read("a_reason_added_later", [call])).toBe("tool_calls");
    expect(read("a_reason_added_later", [])).toBe(
      "502: the model stopped for a reason the gateway does not know, having written nothing (Bedrock stopReason a_reason_added_later)",
    );
    expect(told).toEqual([
      "Bedrock stopReason refusal",
      "Bedrock stopReason pause_turn",
      "Bedrock stopReason a_reason_added_later",
      "Bedrock stopReason a_reason_added_later",
    ]);
  });

  test("a stream whose messageStop says a stopReason the gateway does not know closes the answer it wrote, where it was an error event after the whole answer; one that wrote nothing fails", async () => {
    async function* stream(text: string) {
      yield { event: "messageStart", data: '{"role":"assistant"}' };
      if (text) yield { event: "contentBlockDelta", data: JSON.stringify({ delta: { text } }) };
      yield { event: "messageStop", data: '{"stopReason":"a_reason_added_later"}' };
      yield { event: "metadata", data: JSON.stringify({ usage: { inputTokens: 30, outputTokens: 4 } }) };
    }
    const told: string[] = [];
    const writer = () =>
      new ConverseChunkWriter("c", "m", false, (field, reason) => told.push(`${field} ${reason}`));
    const written = await collect(translateStream(stream("The answer."), readConverseEvent, writer()).events);
    const finishes = payloads(written).flatMap(
      (chunk) =>
        (chunk as { choices?: Array<{ finish_reason: string | null }> }).choices?.map(
          (c) => c.finish_reason,
        ) ?? [],
    );
    expect(finishes.at(-1)).toBe("stop");
    await expect(collect(translateStream(stream(""), readConverseEvent, writer()).events)).rejects.toThrow(
      "the model stopped for a reason the gateway does not know, having written nothing (Bedrock stopReason a_reason_added_later)",
    );
    expect(new Set(told)).toEqual(new Set(["Bedrock stopReason a_reason_added_later"]));
  });

  test("a stream that called a tool ends in tool_calls whether Bedrock says tool_use or end_turn; max_tokens stays length, and end_turn without a call stop", async () => {
    async function* stream(stopReason: string, calls: boolean) {
      yield { event: "messageStart", data: '{"role":"assistant"}' };
      yield { event: "contentBlockDelta", data: JSON.stringify({ delta: { text: "Looking." } }) };
      if (calls) {
        const start = { contentBlockIndex: 1, start: { toolUse: { toolUseId: "t1", name: "weather" } } };
        yield { event: "contentBlockStart", data: JSON.stringify(start) };
        const delta = { contentBlockIndex: 1, delta: { toolUse: { input: '{"city":"Paris"}' } } };
        yield { event: "contentBlockDelta", data: JSON.stringify(delta) };
      }
      yield { event: "messageStop", data: JSON.stringify({ stopReason }) };
      yield { event: "metadata", data: JSON.stringify({ usage: { inputTokens: 30, outputTokens: 4 } }) };
    }
    const finishOf = async (stopReason: string, calls: boolean) => {
      const writer = new ConverseChunkWriter("c", "m", false);
      const written = await collect(
        translateStream(stream(stopReason, calls), readConverseEvent, writer).events,
      );
      return payloads(written)
        .flatMap(
          (chunk) =>
            (chunk as { choices?: Array<{ finish_reason: string | null }> }).choices?.map(
              (c) => c.finish_reason,
            ) ?? [],
        )
        .at(-1);
    };
    expect(await finishOf("tool_use", true)).toBe("tool_calls");
    expect(await finishOf("end_turn", true)).toBe("tool_calls");
    expect(await finishOf("max_tokens", true)).toBe("length");
    expect(await finishOf("end_turn", false)).toBe("stop");
  });
});
