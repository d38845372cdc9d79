import { describe, expect, test } from "bun:test";
import type { SseEvent } from "../../core/sse.ts";
import { drain, payloads, replay, sseFixture } from "../fixtures/load-fixture.ts";
import { chatStreamToMessages } from "./chat-stream-to-messages.ts";
import { translate } from "./testing/translate-stream.ts";

// A chat stream's tool calls as Messages tool_use blocks: fragments, parallel and interleaved calls,
// arguments that never make an object or run past the bound, a call cut short.

describe("chatStreamToMessages: tool calls", () => {
  test("parallel tool calls streamed as argument fragments", async () => {
    const body = payloads(await translate(sseFixture("openai/chat-tool-calls.sse.txt"))) as Array<
      Record<string, unknown>
    >;
    const starts = body.filter((e) => e.type === "content_block_start");
    expect(starts).toEqual([
      {
        type: "content_block_start",
        index: 0,
        content_block: {
          type: "tool_use",
          id: "call_VwQ3Xj9yHk2LmN8pRt5sUa1b",
          name: "get_weather",
          input: {},
        },
      },
      {
        type: "content_block_start",
        index: 1,
        content_block: {
          type: "tool_use",
          id: "call_Zc7Df4Gh6Jk8Lm0Np2Qr4St6",
          name: "get_weather",
          input: {},
        },
      },
    ]);
    const argsOf = (index: number) =>
      body
        .filter((e) => e.type === "content_block_delta" && e.index === index)
        .map((e) => (e.delta as { partial_json: string }).partial_json);
    // Its eight fragments held until the call is whole, then sent in one delta (an object, checked).
    expect(argsOf(0).length).toBe(1);
    expect(JSON.parse(argsOf(0).join(""))).toEqual({ location: "Paris, France", unit: "celsius" });
    expect(JSON.parse(argsOf(1).join(""))).toEqual({ location: "Tokyo, Japan", unit: "celsius" });
    // Block 0 closes before block 1 opens, as Anthropic streams them.
    const order = body.map((e) => `${e.type}:${e.index ?? ""}`);
    expect(order.indexOf("content_block_stop:0")).toBeLessThan(order.indexOf("content_block_start:1"));
    expect(body.at(-2)).toMatchObject({ delta: { stop_reason: "tool_use" }, usage: { output_tokens: 52 } });
  });

  test("a name that arrives after argument fragments still opens one block with all fragments", async () => {
    const chunk = (delta: unknown, finish: string | null = null) => ({
      data: JSON.stringify({ id: "chatcmpl-late", choices: [{ index: 0, delta, finish_reason: finish }] }),
    });
    const out = payloads(
      await translate([
        chunk({ tool_calls: [{ index: 0, id: "call_1", function: { arguments: '{"a"' } }] }),
        chunk({ tool_calls: [{ index: 0, function: { name: "f", arguments: ":1}" } }] }),
        chunk({}, "tool_calls"),
        { data: "[DONE]" },
      ]),
    ) as Array<Record<string, unknown>>;
    expect(out.filter((e) => e.type === "content_block_start")).toHaveLength(1);
    const fragments = out
      .filter((e) => e.type === "content_block_delta")
      .map((e) => (e.delta as { partial_json: string }).partial_json);
    expect(fragments.join("")).toBe('{"a":1}');
  });

  test("arguments that never make a JSON object are sent as {}, streamed as whole answers are", async () => {
    const chunk = (delta: unknown, finish: string | null = null) => ({
      data: JSON.stringify({ id: "chatcmpl-bad", choices: [{ index: 0, delta, finish_reason: finish }] }),
    });
    const inputOf = async (...fragments: string[]) => {
      const out = payloads(
        await translate([
          chunk({ tool_calls: [{ index: 0, id: "call_1", function: { name: "f", arguments: "" } }] }),
          ...fragments.map((args) => chunk({ tool_calls: [{ index: 0, function: { arguments: args } }] })),
          chunk({}, "tool_calls"),
          { data: "[DONE]" },
        ]),
      ) as Array<{ type: string; delta?: { partial_json?: string } }>;
      // What Anthropic's SDK parses at the block's stop: every fragment, joined.
      const json = out
        .filter((e) => e.type === "content_block_delta")
        .map((e) => e.delta?.partial_json)
        .join("");
      return JSON.parse(json) as unknown;
    };
    expect(await inputOf("{bad", " json")).toEqual({});
    expect(await inputOf('"just a ', 'string"')).toEqual({});
    expect(await inputOf("[1,", "2]")).toEqual({});
    expect(await inputOf()).toEqual({});
    expect(await inputOf('{"a":', "[1,2]}")).toEqual({ a: [1, 2] });
  });

  test("a tool call's arguments are held within maxHeld (routing.max_upstream_body): past it the stream ends with a 502 error event", async () => {
    const chunk = (delta: unknown, finish: string | null = null) => ({
      data: JSON.stringify({ id: "chatcmpl-big", choices: [{ index: 0, delta, finish_reason: finish }] }),
    });
    const call = (maxHeld: number) =>
      drain(
        chatStreamToMessages(
          replay([
            chunk({
              tool_calls: [
                { index: 0, id: "call_1", function: { name: "Write", arguments: '{"content":"' } },
              ],
            }),
            ...Array.from({ length: 10 }, () =>
              chunk({ tool_calls: [{ index: 0, function: { arguments: "x".repeat(100) } }] }),
            ),
            chunk({ tool_calls: [{ index: 0, function: { arguments: '"}' } }] }),
            chunk({}, "tool_calls"),
            { data: "[DONE]" },
          ]),
          { requestedModel: "claude-x", maxHeld },
        ),
      );
    const within = await call(1_100);
    expect(within.failure).toBeUndefined();
    expect(within.at(-1)?.event).toBe("message_stop");
    const past = await call(1_000);
    expect([past.failure?.status, past.failure?.code]).toEqual([502, "upstream_error"]);
    expect(past.at(-1)?.event).toBe("error");
    expect(JSON.parse(past.at(-1)?.data ?? "").error.message).toContain("(routing.max_upstream_body)");
    expect(past.some((e) => e.event === "content_block_stop")).toBe(false);
  });

  test("a call cut short is no finished tool_use with input {}: ended with no finish it fails; cut by length, its block ends with the arguments as they came and max_tokens, as Anthropic's own", async () => {
    const chunk = (delta: unknown, finish: string | null = null) => ({
      data: JSON.stringify({ id: "chatcmpl-cut", choices: [{ index: 0, delta, finish_reason: finish }] }),
    });
    const start = chunk({
      tool_calls: [{ index: 0, id: "call_1", function: { name: "Write", arguments: "" } }],
    });
    const half = chunk({
      tool_calls: [{ index: 0, function: { arguments: '{"file_path":"/tmp/x","content":"rm -' } }],
    });
    // The upstream's end marker after half the arguments, with no finish_reason.
    const ended = await translate([start, half, { data: "[DONE]" }]);
    expect(ended.failure?.code).toBe("upstream_error");
    expect(ended.at(-1)?.event).toBe("error");
    expect(ended.some((e) => e.event === "content_block_stop" || e.event === "message_stop")).toBe(false);
    // `length` mid-call: as Anthropic's own stream when max_tokens cuts a tool_use, the block ends
    // after the fragments written so far, as they came, and the answer says it ran out
    // (max_tokens), never tool_use.
    const cut = payloads(await translate([start, half, chunk({}, "length"), { data: "[DONE]" }]));
    expect(cut.slice(2)).toEqual([
      {
        type: "content_block_start",
        index: 0,
        content_block: { type: "tool_use", id: "call_1", name: "Write", input: {} },
      },
      {
        type: "content_block_delta",
        index: 0,
        delta: { type: "input_json_delta", partial_json: '{"file_path":"/tmp/x","content":"rm -' },
      },
      { type: "content_block_stop", index: 0 },
      {
        type: "message_delta",
        delta: { stop_reason: "max_tokens", stop_sequence: null },
        usage: { output_tokens: 0 },
      },
      { type: "message_stop" },
    ]);
    // Fragments cut by length that start no object (Anthropic's SDK would throw on them): `{}`.
    const garbled = chunk({ tool_calls: [{ index: 0, function: { arguments: "{bad json" } }] });
    const notAnObject = payloads(
      await translate([start, garbled, chunk({}, "length"), { data: "[DONE]" }]),
    ) as Array<{
      type: string;
      delta?: { partial_json?: string };
    }>;
    expect(notAnObject.find((e) => e.type === "content_block_delta")?.delta?.partial_json).toBe("{}");
    // A call with no arguments at all, then the end marker, is a call without any, as before.
    const bare = payloads(await translate([start, { data: "[DONE]" }])) as Array<{ type: string }>;
    expect(bare.at(-1)?.type).toBe("message_stop");
  });

  test("interleaved parallel calls: one block open at a time, each block's deltas before its stop", async () => {
    const out = payloads(
      // A chat server interleaving two calls' argument fragments (index 0, 1, 0, 1, 0).
      await translate(sseFixture("openai/chat-tool-calls-interleaved.sse.txt")),
    ) as Array<{ type: string; index?: number; delta?: { partial_json?: string } }>;
    let open: number | undefined;
    const args = new Map<number, string>();
    for (const event of out) {
      if (event.type === "content_block_start") {
        expect(open).toBeUndefined();
        open = event.index;
      } else if (event.type === "content_block_delta") {
        expect(event.index).toBe(open as number);
        args.set(open as number, (args.get(open as number) ?? "") + (event.delta?.partial_json ?? ""));
      } else if (event.type === "content_block_stop") {
        expect(event.index).toBe(open as number);
        open = undefined;
      }
    }
    expect([...args.values()].map((json) => JSON.parse(json))).toEqual([{ city: "Paris" }, { tz: "CET" }]);
  });

  test("tool calls without an index (Gemini's OpenAI-compatible API): each its own block, in order", async () => {
    const out = payloads(await translate(sseFixture("openai/chat-tool-calls-no-index.sse.txt"))) as Array<{
      type: string;
      content_block?: { name?: string };
      delta?: { partial_json?: string; stop_reason?: string };
    }>;
    expect(out.filter((e) => e.type === "content_block_start").map((e) => e.content_block?.name)).toEqual([
      "get_weather",
      "get_time",
    ]);
    const json = out.flatMap((e) => (e.delta?.partial_json ? [e.delta.partial_json] : []));
    expect(json.map((text) => JSON.parse(text))).toEqual([{ city: "Paris" }, { tz: "CET" }]);
    expect(out.find((e) => e.type === "message_delta")?.delta?.stop_reason).toBe("tool_use");
  });

  test("no whitespace-only text block: whitespace before a tool call or at the end is dropped, before text it leads it", async () => {
    const chunk = (delta: unknown, finish: string | null = null) => ({
      data: JSON.stringify({ id: "chatcmpl-ws", choices: [{ index: 0, delta, finish_reason: finish }] }),
    });
    const call = { index: 0, id: "call_1", type: "function", function: { name: "f", arguments: "{}" } };
    const blocks = async (events: SseEvent[]) =>
      (payloads(await translate(events)) as Array<{ type: string; content_block?: { type: string } }>)
        .filter((e) => e.type === "content_block_start")
        .map((e) => e.content_block?.type);
    // "\n\n" before a tool call, as vLLM's Qwen and gpt-oss send it: Anthropic would refuse that
    // text block when Claude Code sends the turn back.
    expect(
      await blocks([chunk({ content: "\n\n" }), chunk({ tool_calls: [call] }), chunk({}, "tool_calls")]),
    ).toEqual(["tool_use"]);
    expect(await blocks([chunk({ content: "Hi" }), chunk({ content: " \n" }), chunk({}, "stop")])).toEqual([
      "text",
    ]);
    expect(
      await blocks([chunk({ reasoning_content: "hm" }), chunk({ content: "\n" }), chunk({}, "stop")]),
    ).toEqual(["thinking"]);
    const led = payloads(
      await translate([
        chunk({ content: "\n" }),
        chunk({ content: "\n" }),
        chunk({ content: "Hi" }),
        chunk({}, "stop"),
      ]),
    ) as Array<{ type: string; delta?: { text?: string } }>;
    expect(led.flatMap((e) => (e.delta?.text === undefined ? [] : [e.delta.text]))).toEqual(["\n\nHi"]);
  });
});
