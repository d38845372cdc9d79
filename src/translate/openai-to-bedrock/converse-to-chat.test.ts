import { describe, expect, test } from "bun:test";
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
});
