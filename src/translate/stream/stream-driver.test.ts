import { describe, expect, test } from "bun:test";
import { GatewayError, upstreamError } from "../../core/gateway-error.ts";
import type { SseEvent } from "../../core/sse.ts";
import { chatStreamToMessages } from "../anthropic-to-openai/chat-stream-to-messages.ts";
import { collect, drain, replay, sseFixture } from "../fixtures/load-fixture.ts";
import { messagesStreamToChat } from "../openai-to-anthropic/messages-stream-to-chat.ts";
import { chatStreamToResponses } from "../responses/chat-stream-to-responses.ts";
import { ToolNames } from "../responses/tool-names.ts";
import { ChainedTranslation } from "./chained-translation.ts";
import { loopOver, type TranslatedStream } from "./stream-driver.ts";

const workerLost = () =>
  new GatewayError({ status: 502, code: "worker_lost", message: "worker w1 went away", retryable: true });

/** The three translations, each fed the same failure after its first event. */
const translations: [
  string,
  (fail: Error, after?: number) => TranslatedStream,
  (event: SseEvent) => unknown,
][] = [
  [
    "chat → messages",
    (fail, after = 3) =>
      chatStreamToMessages(replay(sseFixture("openai/chat-text.sse.txt"), { count: after, error: fail }), {
        requestedModel: "m",
      }),
    (event) => (JSON.parse(event.data) as { error: { type: string } }).error.type,
  ],
  [
    "messages → chat",
    (fail, after = 3) =>
      messagesStreamToChat(
        replay(sseFixture("anthropic/message-text.sse.txt"), { count: after, error: fail }),
        {
          requestedModel: "m",
          includeUsage: false,
        },
      ),
    (event) => (JSON.parse(event.data) as { error: { code: string } }).error.code,
  ],
  [
    "chat → responses",
    (fail, after = 3) =>
      chatStreamToResponses(replay(sseFixture("openai/chat-text.sse.txt"), { count: after, error: fail }), {
        request: { model: "m" },
        id: "resp_d",
      }),
    // Its last event, `response.failed`, fails the response with the same code as the error event.
    (event) => (JSON.parse(event.data) as { response: { error: { code: string } } }).response.error.code,
  ],
];

describe("one stream driver", () => {
  test.each(translations)(
    "%s: a worker lost mid-stream keeps its class and says so in the caller's format",
    async (_, make, codeOf) => {
      const out = await drain(make(workerLost()));
      expect(out.failure?.code).toBe("worker_lost");
      const last = out.at(-1) as SseEvent;
      expect(codeOf(last)).toBe(_ === "chat → messages" ? "api_error" : "worker_lost");
    },
  );

  test.each(translations)(
    "%s: a failure before the first event is thrown for the router to retry",
    async (_, make) => {
      await expect(drain(make(upstreamError("refused"), 0))).rejects.toThrow("refused");
    },
  );

  test("a Responses stream ends failed in sequence: its error event, then response.failed failing the response so far", async () => {
    const [, make] = translations[2] as (typeof translations)[number];
    const out = await drain(make(workerLost()));
    const numbers = out.map(
      (event) => (JSON.parse(event.data) as { sequence_number: number }).sequence_number,
    );
    expect(numbers).toEqual(numbers.map((_, i) => i));
    expect(out.slice(-2).map((event) => event.event)).toEqual(["error", "response.failed"]);
    expect(JSON.parse(out.at(-2)?.data ?? "")).toMatchObject({
      code: "worker_lost",
      message: "worker w1 went away",
    });
    const { response } = JSON.parse(out.at(-1)?.data ?? "") as { response: Record<string, unknown> };
    // The response the stream opened, its item so far with it, as OpenAI fails one.
    expect(response).toMatchObject({
      id: "resp_d",
      object: "response",
      status: "failed",
      error: { code: "worker_lost", message: "worker w1 went away" },
      output: [{ type: "message", status: "in_progress" }],
    });
  });

  test("custom tool calls stream as custom_tool_call items with their input sent whole", async () => {
    const names = new ToolNames();
    names.declare({ name: "apply_patch", custom: true });
    const chunk = (delta: unknown, finish: string | null = null) => ({
      data: JSON.stringify({ id: "c", choices: [{ index: 0, delta, finish_reason: finish }] }),
    });
    const events = [
      chunk({
        tool_calls: [{ index: 0, id: "call_p", function: { name: "apply_patch", arguments: '{"inp' } }],
      }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: 'ut":"*** Begin Patch\\n"}' } }] }),
      chunk({}, "tool_calls"),
      { data: "[DONE]" },
    ];
    const out = await drain(
      chatStreamToResponses(replay(events), { request: { model: "m" }, id: "resp_c", tools: names }),
    );
    const data = out.map((e) => JSON.parse(e.data) as Record<string, unknown>);
    expect(data.map((d) => d.type)).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.custom_tool_call_input.delta",
      "response.custom_tool_call_input.done",
      "response.output_item.done",
      "response.completed",
    ]);
    expect(data[4]).toMatchObject({ input: "*** Begin Patch\n", item_id: "fc_c_0" });
    expect(data[5]?.item).toEqual({
      id: "fc_c_0",
      type: "custom_tool_call",
      status: "completed",
      call_id: "call_p",
      name: "apply_patch",
      input: "*** Begin Patch\n",
    });
  });
});

describe("a chat upstream's reasoning, for an Anthropic caller", () => {
  const chunk = (delta: unknown, finish: string | null = null) => ({
    data: JSON.stringify({ id: "chatcmpl-r", choices: [{ index: 0, delta, finish_reason: finish }] }),
  });

  test("reasoning_content streams as a thinking block before the text", async () => {
    const out = await drain(
      chatStreamToMessages(
        replay([
          chunk({ role: "assistant", reasoning_content: "Let me " }),
          chunk({ reasoning_content: "think." }),
          chunk({ content: "Done." }),
          chunk({ reasoning: { effort: "low" } }), // another server's shape: ignored, not an error
          chunk({}, "stop"),
          { data: "[DONE]" },
        ]),
        { requestedModel: "m" },
      ),
    );
    const body = out.map((event) => JSON.parse(event.data) as Record<string, unknown>);
    expect(body.filter((e) => e.type === "content_block_start").map((e) => e.content_block)).toEqual([
      { type: "thinking", thinking: "", signature: "" },
      { type: "text", text: "" },
    ]);
    expect(body.filter((e) => e.type === "content_block_delta").map((e) => e.delta)).toEqual([
      { type: "thinking_delta", thinking: "Let me " },
      { type: "thinking_delta", thinking: "think." },
      { type: "text_delta", text: "Done." },
    ]);
    expect(out.failure).toBeUndefined();
  });
});

describe("a chat upstream's reasoning, for a Responses caller", () => {
  test("streams as a reasoning item with one summary part, before the message", async () => {
    const chunk = (delta: unknown, finish: string | null = null) => ({
      data: JSON.stringify({ id: "c", choices: [{ index: 0, delta, finish_reason: finish }] }),
    });
    const out = await drain(
      chatStreamToResponses(
        replay([
          chunk({ reasoning_content: "Think" }),
          chunk({ reasoning_content: "ing." }),
          chunk({ content: "Hi" }),
          chunk({}, "stop"),
          { data: "[DONE]" },
        ]),
        { request: { model: "m" }, id: "resp_r" },
      ),
    );
    const data = out.map((e) => JSON.parse(e.data) as Record<string, unknown>);
    expect(data.map((d) => d.type)).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.reasoning_summary_part.added",
      "response.reasoning_summary_text.delta",
      "response.reasoning_summary_text.delta",
      "response.reasoning_summary_text.done",
      "response.reasoning_summary_part.done",
      "response.output_item.done",
      "response.output_item.added",
      "response.content_part.added",
      "response.output_text.delta",
      "response.output_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.completed",
    ]);
    const completed = data.at(-1)?.response as { output: unknown[] };
    expect(completed.output[0]).toEqual({
      id: "rs_r",
      type: "reasoning",
      summary: [{ type: "summary_text", text: "Thinking." }],
    });
    expect(data.map((d) => d.sequence_number)).toEqual(data.map((_, i) => i));
  });
});

describe("loopOver: the loop a relay runs over an upstream's own events", () => {
  const FIXTURE = "anthropic/message-text.sse.txt";
  const upstream = replay(sseFixture(FIXTURE));
  const twice = (events: AsyncIterable<SseEvent>) =>
    chatStreamToMessages(messagesStreamToChat(events, { requestedModel: "m", includeUsage: true }).events, {
      requestedModel: "m",
    });
  /** Each event as written, its message and tool call ids (made anew by each translation) as one. */
  const written = (events: SseEvent[]) =>
    events.map((event) => ({
      event: event.event,
      data: event.data.replaceAll(/"(msg|toolu|call|chatcmpl)_[\w-]+"/g, '"ID"'),
    }));

  test("a translation of the upstream: its own loop", () => {
    const chat = messagesStreamToChat(upstream, { requestedModel: "m", includeUsage: true });
    expect(loopOver(chat, upstream)).toBe(chat.translation);
  });

  test.each(["anthropic/message-text.sse.txt", "anthropic/message-tool-use.sse.txt"])(
    "translated again: both, chained, writing what the async drivers write, event and data (%s)",
    async (fixture) => {
      const source = replay(sseFixture(fixture));
      const loop = loopOver(twice(source), source);
      if (!(loop instanceof ChainedTranslation)) throw new Error("no chain");
      const chained: SseEvent[] = [];
      let ended = false;
      for (const event of sseFixture(fixture)) {
        ended = loop.take(event, chained);
        if (ended) break;
      }
      if (!ended) loop.end(chained);
      const driven = await collect(twice(replay(sseFixture(fixture))).events);
      expect(chained.length).toBeGreaterThan(3);
      expect(written(chained)).toEqual(written(driven));
    },
  );

  test("a source no loop of the gateway's drives: none", () => {
    const chat = messagesStreamToChat(replay(sseFixture(FIXTURE)), {
      requestedModel: "m",
      includeUsage: true,
    });
    expect(loopOver(chat, upstream)).toBeUndefined();
  });
});
