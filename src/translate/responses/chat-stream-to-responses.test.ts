import { describe, expect, test } from "bun:test";
import type { JsonObject } from "../../core/dialect.ts";
import { upstreamError } from "../../core/gateway-error.ts";
import type { SseEvent } from "../../core/sse.ts";
import { drain, replay, sseFixture, TRICKY_TEXTS, textChunks } from "../fixtures/load-fixture.ts";
import { messagesResponseToChat } from "../openai-to-anthropic/messages-response-to-chat.ts";
import { chatResponseToResponse } from "./chat-response-to-response.ts";
import { chatStreamToResponses } from "./chat-stream-to-responses.ts";
import { summaryTurn } from "./compaction.ts";
import { ResponsesStreamWriter } from "./responses-stream-writer.ts";

const request = { model: "gpt-4o-mini", input: "Hi", stream: true };

async function run(name: string, failAfter?: { count: number; error: Error }, compaction = false) {
  let stored: JsonObject | undefined;
  const out = await drain(
    chatStreamToResponses(replay(sseFixture(name), failAfter), {
      request,
      id: "resp_s",
      createdAt: 5,
      onResponse: (response) => {
        stored = response;
      },
      compaction,
    }),
  );
  const data = out.map((e) => JSON.parse(e.data) as Record<string, unknown>);
  return { out, data, stored };
}

describe("chatStreamToResponses", () => {
  test("a text delta's bytes are JSON.stringify's of its fields, whatever its text", async () => {
    const out = await drain(
      chatStreamToResponses(replay(textChunks(TRICKY_TEXTS)), { request, id: "resp_t" }),
    );
    const deltas = out.filter((event) => event.event === "response.output_text.delta");
    expect(deltas.map((event) => (JSON.parse(event.data) as { delta: string }).delta)).toEqual(TRICKY_TEXTS);
    for (const event of deltas) expect(event.data).toBe(JSON.stringify(JSON.parse(event.data)));
    const numbers = out.map(
      (event) => (JSON.parse(event.data) as { sequence_number: number }).sequence_number,
    );
    expect(numbers).toEqual(numbers.map((_, i) => i));
  });

  test("compaction: the text is held back and sent as one `compaction` item carrying it", async () => {
    const plain = await run("openai/chat-text.sse.txt");
    const { out, data, stored } = await run("openai/chat-text.sse.txt", undefined, true);
    expect(out.map((e) => e.event)).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.output_item.done",
      "response.completed",
    ]);
    expect(data.map((d) => d.sequence_number)).toEqual([0, 1, 2, 3, 4]);
    const output = stored?.output as JsonObject[];
    expect(output).toHaveLength(1);
    expect(output[0]).toEqual((data[3] as { item: JsonObject }).item);
    const message = (plain.stored?.output ?? []) as { content: { text: string }[] }[];
    const text = message[0]?.content[0]?.text;
    expect(summaryTurn(output[0] as JsonObject)?.content).toEndWith(`\n\n${text}`);
    expect(stored?.usage).toEqual(plain.stored?.usage);
  });

  test("text stream: event order, names and sequence numbers", async () => {
    const { out, data, stored } = await run("openai/chat-text.sse.txt");
    expect(out.map((e) => e.event)).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.content_part.added",
      ...Array(9).fill("response.output_text.delta"),
      "response.output_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.completed",
    ]);
    expect(data.map((d) => d.sequence_number)).toEqual(data.map((_, i) => i));
    expect(data.every((d, i) => d.type === out[i]?.event)).toBe(true);
    expect(data[4]).toEqual({
      type: "response.output_text.delta",
      sequence_number: 4,
      item_id: "msg_s",
      output_index: 0,
      content_index: 0,
      delta: "Hello",
      logprobs: [],
    });
    expect(data.at(-1)?.response).toMatchObject({
      status: "completed",
      usage: { input_tokens: 19, output_tokens: 10, total_tokens: 29 },
      output: [{ type: "message", content: [{ text: "Hello! How can I help you today?" }] }],
    });
    expect(stored).toEqual(data.at(-1)?.response as JsonObject);
  });

  test("logprobs: each delta event carries its chunk's, the done events and the response all of them", async () => {
    const { data, stored } = await run("openai/chat-logprobs.sse.txt");
    const tokens = (logprobs: unknown) => (logprobs as { token: string }[]).map((entry) => entry.token);
    const deltas = data.filter((d) => d.type === "response.output_text.delta");
    expect(deltas.map((d) => tokens(d.logprobs))).toEqual([["Hello"], [" there"]]);
    expect(deltas[0]?.logprobs).toEqual([
      {
        token: "Hello",
        logprob: -0.0002,
        bytes: [72, 101, 108, 108, 111],
        top_logprobs: [
          { token: "Hello", logprob: -0.0002, bytes: [72, 101, 108, 108, 111] },
          { token: "Hi", logprob: -8.75, bytes: [72, 105] },
        ],
      },
    ]);
    // The hand-written delta is still exactly JSON.stringify's.
    const raw = (await run("openai/chat-logprobs.sse.txt")).out.find(
      (e) => e.event === "response.output_text.delta",
    );
    expect(raw?.data).toBe(JSON.stringify(JSON.parse(raw?.data ?? "")));
    const done = data.find((d) => d.type === "response.output_text.done");
    expect(tokens(done?.logprobs)).toEqual(["Hello", " there"]);
    const part = data.find((d) => d.type === "response.content_part.done")?.part as { logprobs: unknown };
    expect(tokens(part.logprobs)).toEqual(["Hello", " there"]);
    const [message] = (stored?.output ?? []) as { content: { logprobs: unknown }[] }[];
    expect(tokens(message?.content[0]?.logprobs)).toEqual(["Hello", " there"]);
  });

  test("parallel tool calls: one function_call item each, arguments as deltas", async () => {
    const { data } = await run("openai/chat-tool-calls.sse.txt");
    const added = data.filter((d) => d.type === "response.output_item.added").map((d) => d.item);
    expect(added).toEqual([
      {
        id: "fc_s_0",
        type: "function_call",
        status: "in_progress",
        arguments: "",
        call_id: "call_VwQ3Xj9yHk2LmN8pRt5sUa1b",
        name: "get_weather",
      },
      {
        id: "fc_s_1",
        type: "function_call",
        status: "in_progress",
        arguments: "",
        call_id: "call_Zc7Df4Gh6Jk8Lm0Np2Qr4St6",
        name: "get_weather",
      },
    ]);
    const done = data.filter((d) => d.type === "response.function_call_arguments.done");
    expect(done.map((d) => JSON.parse(d.arguments as string))).toEqual([
      { location: "Paris, France", unit: "celsius" },
      { location: "Tokyo, Japan", unit: "celsius" },
    ]);
    expect(data.filter((d) => d.type === "response.function_call_arguments.delta")).toHaveLength(14);
  });

  test("refusal deltas → a message item with a refusal part, streamed with OpenAI's refusal events", async () => {
    const chunk = (delta: object, finish_reason: string | null = null) => ({
      data: JSON.stringify({ id: "c", choices: [{ index: 0, delta, finish_reason }] }),
    });
    let stored: JsonObject | undefined;
    const out = await drain(
      chatStreamToResponses(
        replay([
          chunk({ role: "assistant", content: "", refusal: null }),
          chunk({ refusal: "I'm sorry, " }),
          chunk({ refusal: "I can't help with that." }),
          chunk({}, "stop"),
          { data: "[DONE]" },
        ]),
        { request, id: "resp_r", onResponse: (response) => (stored = response) },
      ),
    );
    const data = out.map((e) => JSON.parse(e.data) as Record<string, unknown>);
    expect(data.map((e) => e.type)).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.content_part.added",
      "response.refusal.delta",
      "response.refusal.delta",
      "response.refusal.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.completed",
    ]);
    const at = { item_id: "msg_r", output_index: 0, content_index: 0 };
    expect(data[3]).toMatchObject({ ...at, part: { type: "refusal", refusal: "" } });
    expect(data[4]).toMatchObject({ ...at, delta: "I'm sorry, " });
    expect(data[6]).toMatchObject({ ...at, refusal: "I'm sorry, I can't help with that." });
    const item = {
      id: "msg_r",
      type: "message",
      status: "completed",
      role: "assistant",
      content: [{ type: "refusal", refusal: "I'm sorry, I can't help with that." }],
    };
    expect(data[8]).toMatchObject({ item });
    expect(stored?.output).toEqual([item]);
    expect(stored?.status).toBe("completed");
  });

  test("errors: in-band mid-stream → error event; thrown before the first event → rethrown", async () => {
    const { data } = await run("openai/chat-error-midstream.sse.txt");
    expect(data.at(-2)).toMatchObject({ type: "error", code: "server_error", param: null });
    expect(data.at(-1)).toMatchObject({
      type: "response.failed",
      response: { id: "resp_s", status: "failed", error: { code: "server_error" } },
    });
    // The message still open lists what it had, as OpenAI's response.failed does; its `added`
    // event said it empty, as it was then.
    expect(data.at(-1)?.response).toMatchObject({
      output: [
        {
          id: "msg_s",
          type: "message",
          status: "in_progress",
          role: "assistant",
          content: [{ type: "output_text", text: "Let me check", annotations: [], logprobs: [] }],
        },
      ],
    });
    expect(data.find((e) => e.type === "response.output_item.added")).toMatchObject({
      item: { id: "msg_s", content: [] },
    });
    await expect(run("openai/chat-text.sse.txt", { count: 0, error: upstreamError("down") })).rejects.toThrow(
      "down",
    );
  });

  test("a failure lists the items opened so far with what they had: a reasoning summary still open, a call's arguments so far", () => {
    const delta = (fields: JsonObject) => ({ choices: [{ index: 0, delta: fields, finish_reason: null }] });
    const failedOutput = (...deltas: JsonObject[]) => {
      const writer = new ResponsesStreamWriter({ request, id: "resp_f", createdAt: 5 });
      writer.start();
      for (const fields of deltas) writer.chunk(delta(fields));
      return JSON.parse(writer.error(upstreamError("down")).at(-1)?.data ?? "{}").response.output;
    };
    expect(failedOutput({ reasoning_content: "Weighing" }, { reasoning_content: " it" })).toEqual([
      { id: "rs_f", type: "reasoning", summary: [{ type: "summary_text", text: "Weighing it" }] },
    ]);
    const call = { index: 0, id: "call_1", function: { name: "look", arguments: '{"q":' } };
    expect(failedOutput({ content: "Checking." }, { tool_calls: [call] })).toMatchObject([
      { type: "message", status: "completed", content: [{ type: "output_text", text: "Checking." }] },
      { type: "function_call", status: "in_progress", call_id: "call_1", name: "look", arguments: '{"q":' },
    ]);
  });

  test("an answer past maxOutput (routing.max_upstream_body) ends the stream failed (the error event, response.failed), nothing stored", async () => {
    const bounded = async (chunks: SseEvent[], maxOutput: number) => {
      let stored: JsonObject | undefined;
      const onResponse = (response: JsonObject) => {
        stored = response;
      };
      const out = await drain(
        chatStreamToResponses(replay(chunks), { request, id: "resp_b", onResponse, maxOutput }),
      );
      // The error event; `response.failed` after it when it failed.
      const at = out.at(-1)?.event === "response.failed" ? -2 : -1;
      return { out, stored, last: JSON.parse(out.at(at)?.data ?? "{}") as Record<string, unknown> };
    };
    const texts = Array.from({ length: 10 }, () => "x".repeat(1000));
    // Within the bound the answer is whole; past it the stream stops where it was passed.
    expect((await bounded(textChunks(texts), 10_000)).last.type).toBe("response.completed");
    const cut = await bounded(textChunks(texts), 5_500);
    expect(cut.last).toMatchObject({ type: "error", code: "upstream_error" });
    expect(cut.last.message).toContain("routing.max_upstream_body");
    expect(cut.out.filter((e) => e.event === "response.output_text.delta")).toHaveLength(5);
    expect(cut.stored).toBeUndefined();
    // A tool call's arguments count as they arrive, held back by the sequencer or not.
    const call = (index: number, args: string, name?: string) => ({
      data: JSON.stringify({
        choices: [
          {
            index: 0,
            delta: {
              tool_calls: [
                {
                  index,
                  ...(name ? { id: `c${index}`, type: "function" } : {}),
                  function: { ...(name ? { name } : {}), arguments: args },
                },
              ],
            },
          },
        ],
      }),
    });
    const held = [
      call(0, "{", "a"),
      call(1, "", "b"),
      ...Array.from({ length: 10 }, () => call(1, "y".repeat(1000))),
    ];
    expect((await bounded(held, 5_500)).last).toMatchObject({ type: "error", code: "upstream_error" });
  });

  test("interleaved parallel calls: each item's argument deltas come before its done", async () => {
    const out = await drain(
      chatStreamToResponses(
        // A chat server interleaving two calls' argument fragments (index 0, 1, 0, 1, 0).
        replay(sseFixture("openai/chat-tool-calls-interleaved.sse.txt")),
        { request, id: "resp_i" },
      ),
    );
    const data = out.map(
      (e) =>
        JSON.parse(e.data) as { type: string; output_index?: number; delta?: string; arguments?: string },
    );
    const done = new Set<number>();
    const streamed = new Map<number, string>();
    for (const event of data) {
      if (event.type === "response.function_call_arguments.delta") {
        expect(done.has(event.output_index as number)).toBe(false);
        streamed.set(
          event.output_index as number,
          (streamed.get(event.output_index as number) ?? "") + event.delta,
        );
      }
      if (event.type === "response.function_call_arguments.done") {
        expect(event.arguments).toBe(streamed.get(event.output_index as number) as string);
        done.add(event.output_index as number);
      }
    }
    expect([...streamed.values()].map((json) => JSON.parse(json))).toEqual([
      { city: "Paris" },
      { tz: "CET" },
    ]);
  });

  describe("an answer of text, a call and more text (Claude and Gemini answer so)", () => {
    const usage = { prompt_tokens: 9, completion_tokens: 4, total_tokens: 13 };
    const chunk = (delta: object, finish: string | null = null) => ({
      data: JSON.stringify({
        id: "c",
        object: "chat.completion.chunk",
        choices: [{ index: 0, delta, finish_reason: finish }],
      }),
    });
    const call = {
      index: 0,
      id: "call_1",
      type: "function",
      function: { name: "get_weather", arguments: '{"city":"Oslo"}' },
    };
    const streamed = async (events: SseEvent[]) => {
      let stored: JsonObject | undefined;
      const out = await drain(
        chatStreamToResponses(replay(events), {
          request,
          id: "resp_s",
          createdAt: 5,
          onResponse: (response) => {
            stored = response;
          },
        }),
      );
      return { out, stored: stored as JsonObject & { output: JsonObject[] } };
    };

    test("every output item has an id of its own: the first of a kind keeps today's, later ones are numbered", async () => {
      const { out, stored } = await streamed([
        chunk({ reasoning_content: "think" }),
        chunk({ content: "First I look." }),
        chunk({ tool_calls: [call] }),
        chunk({ content: "Then I report." }),
        chunk({ reasoning_content: "more" }),
        chunk({ refusal: "Not that." }),
        chunk({}, "stop"),
      ]);
      const ids = stored.output.map((item) => `${item.type}:${item.id}`);
      expect(ids).toEqual([
        "reasoning:rs_s",
        "message:msg_s",
        "function_call:fc_s_0",
        "message:msg_s_1",
        "reasoning:rs_s_1",
        "message:msg_s_2",
      ]);
      // Each item's events name it alone.
      const added = out
        .filter((event) => event.event === "response.output_item.added")
        .map((event) => (JSON.parse(event.data) as { item: { id: string } }).item.id);
      expect(added).toEqual(stored.output.map((item) => String(item.id)));
    });

    test("the whole answer has the stream's items, in its order, ids and statuses alike", async () => {
      const { stored } = await streamed([
        chunk({ content: "First I look." }),
        chunk({ tool_calls: [call] }),
        chunk({ content: "Then I report." }),
        chunk({}, "tool_calls"),
        { data: JSON.stringify({ id: "c", choices: [], usage }) },
      ]);
      // Claude's whole answer, through its translation to chat, which notes where the call came.
      const claude = {
        id: "msg_1",
        type: "message",
        role: "assistant",
        model: "claude",
        content: [
          { type: "text", text: "First I look." },
          { type: "tool_use", id: "call_1", name: "get_weather", input: { city: "Oslo" } },
          { type: "text", text: "Then I report." },
        ],
        stop_reason: "tool_use",
        usage: { input_tokens: 9, output_tokens: 4 },
      };
      const whole = chatResponseToResponse(
        messagesResponseToChat(claude, "gpt-4o-mini", { created: 5 }),
        request,
        "resp_s",
      );
      expect(whole).toEqual(stored);
      expect(stored.output.map((item) => item.type)).toEqual(["message", "function_call", "message"]);
      // Cut short (max tokens) in its last text: that item is the incomplete one, streamed or not.
      const cut = await streamed([
        chunk({ content: "a" }),
        chunk({ tool_calls: [call] }),
        chunk({ content: "b" }, "length"),
      ]);
      const cutWhole = chatResponseToResponse(
        messagesResponseToChat({ ...claude, stop_reason: "max_tokens" }, "gpt-4o-mini", { created: 5 }),
        request,
        "resp_s",
      );
      expect(cut.stored.output.map((item) => item.status)).toEqual(["completed", "completed", "incomplete"]);
      expect((cutWhole.output as JsonObject[]).map((item) => item.status)).toEqual([
        "completed",
        "completed",
        "incomplete",
      ]);
    });
  });
});
