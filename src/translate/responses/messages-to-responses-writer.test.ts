import { describe, expect, test } from "bun:test";
import type { JsonObject } from "../../core/dialect.ts";
import { drain, replay, sseFixture } from "../fixtures/load-fixture.ts";
import { messagesStreamToChat } from "../openai-to-anthropic/messages-stream-to-chat.ts";
import { readMessagesEvent } from "../stream/messages-event-reader.ts";
import { translateStream } from "../stream/stream-driver.ts";
import { generatorsMade, thinkingAnswer } from "../testing/generators-made.ts";
import { chatStreamToResponses } from "./chat-stream-to-responses.ts";
import { MessagesToResponsesWriter } from "./messages-to-responses-writer.ts";

const options = { request: { model: "m" }, id: "resp_a", createdAt: 9 };

describe("Anthropic → Responses in one pass", () => {
  test.each(["anthropic/message-text.sse.txt", "anthropic/message-tool-use.sse.txt"])(
    "%s: the same events as the two translations chained, each upstream event parsed once",
    async (fixture) => {
      const direct = await drain(
        translateStream(
          replay(sseFixture(fixture)),
          readMessagesEvent,
          new MessagesToResponsesWriter("m", options),
        ),
      );
      const chained = await drain(
        chatStreamToResponses(
          messagesStreamToChat(replay(sseFixture(fixture)), {
            requestedModel: "m",
            includeUsage: true,
            created: 9,
          }).events,
          options,
        ),
      );
      expect(direct).toEqual(chained);
      const last = JSON.parse(direct.at(-1)?.data ?? "{}") as { type: string; response: { usage: unknown } };
      expect(last.type).toBe("response.completed");
      expect(last.response.usage).toMatchObject({ output_tokens: expect.any(Number) });
    },
  );

  test("an upstream that takes its thinking back (DeepSeek's /anthropic): its thinking is a reasoning item before the call", async () => {
    const fixture = "anthropic/deepseek-thinking-tool-use.sse.txt";
    const direct = await drain(
      translateStream(
        replay(sseFixture(fixture)),
        readMessagesEvent,
        new MessagesToResponsesWriter("m", { ...options, thinkingBackTo: "ds" }),
      ),
    );
    const last = JSON.parse(direct.at(-1)?.data ?? "{}") as { response: { output: JsonObject[] } };
    expect(last.response.output.map((item) => item.type)).toEqual(["reasoning", "function_call"]);
    expect(last.response.output[0]).toMatchObject({
      summary: [{ type: "summary_text", text: "The user wants the files. I should run ls." }],
    });
    // Claude's (no thinking back): no reasoning item, as before.
    const claude = await drain(
      translateStream(
        replay(sseFixture(fixture)),
        readMessagesEvent,
        new MessagesToResponsesWriter("m", options),
      ),
    );
    const output = (JSON.parse(claude.at(-1)?.data ?? "{}") as { response: { output: JsonObject[] } })
      .response.output;
    expect(output.map((item) => item.type)).toEqual(["function_call"]);
  });

  test("a stream that gave its stop reason but no message_stop completes as the whole one does", async () => {
    const events = sseFixture("anthropic/message-text.sse.txt");
    const run = (upstream: typeof events) =>
      drain(
        translateStream(replay(upstream), readMessagesEvent, new MessagesToResponsesWriter("m", options)),
      );
    const whole = await run(events);
    expect(await run(events.slice(0, -1))).toEqual(whole);
    expect(JSON.parse(whole.at(-1)?.data ?? "{}")).toMatchObject({ type: "response.completed" });
  });

  test("an answer cut by max_tokens in a tool call: that call's item ends incomplete, the rest completed", async () => {
    // The recorded two-call answer, stopped at max_tokens inside the second call's arguments.
    const events = sseFixture("anthropic/message-tool-use.sse.txt");
    const cutAt = events.findIndex((event) => event.data.includes('"partial_json":"tion'));
    const end = (type: string, fields: object) => ({
      event: type,
      data: JSON.stringify({ type, ...fields }),
    });
    const cut = [
      ...events.slice(0, cutAt),
      end("content_block_stop", { index: 2 }),
      end("message_delta", {
        delta: { stop_reason: "max_tokens", stop_sequence: null },
        usage: { output_tokens: 40 },
      }),
      end("message_stop", {}),
    ];
    const out = await drain(
      translateStream(replay(cut), readMessagesEvent, new MessagesToResponsesWriter("m", options)),
    );
    const data = out.map(
      (event) => JSON.parse(event.data) as { type: string; item?: JsonObject; response?: JsonObject },
    );
    const done = data.filter((d) => d.type === "response.output_item.done").map((d) => d.item);
    expect(done.map((item) => [item?.type, item?.status])).toEqual([
      ["message", "completed"],
      ["function_call", "completed"],
      ["function_call", "incomplete"],
    ]);
    expect(done[2]?.arguments).toBe('{"loca');
    const last = data.at(-1);
    expect(last?.type).toBe("response.incomplete");
    expect(last?.response).toMatchObject({
      status: "incomplete",
      incomplete_details: { reason: "max_output_tokens" },
    });
    expect(((last?.response?.output ?? []) as JsonObject[]).map((item) => item.status)).toEqual([
      "completed",
      "completed",
      "incomplete",
    ]);
  });

  test('a call Claude makes with no arguments reads "{}" (as its whole answer and OpenAI say it), not ""', async () => {
    // Claude's stream for a call of no arguments: one empty partial_json, then the block's stop.
    const end = (type: string, fields: object) => ({
      event: type,
      data: JSON.stringify({ type, ...fields }),
    });
    const message = { id: "msg_1", type: "message", role: "assistant", model: "c", content: [], usage: {} };
    const events = [
      end("message_start", { message: { ...message, stop_reason: null } }),
      end("content_block_start", {
        index: 0,
        content_block: { type: "tool_use", id: "toolu_1", name: "now", input: {} },
      }),
      end("content_block_delta", { index: 0, delta: { type: "input_json_delta", partial_json: "" } }),
      end("content_block_stop", { index: 0 }),
      end("message_delta", { delta: { stop_reason: "tool_use" }, usage: { output_tokens: 5 } }),
      end("message_stop", {}),
    ];
    const out = await drain(
      translateStream(replay(events), readMessagesEvent, new MessagesToResponsesWriter("m", options)),
    );
    const data = out.map(
      (event) => JSON.parse(event.data) as { type: string; arguments?: string; item?: JsonObject },
    );
    expect(data.find((d) => d.type === "response.function_call_arguments.done")?.arguments).toBe("{}");
    expect(data.find((d) => d.type === "response.output_item.done")?.item).toMatchObject({
      type: "function_call",
      name: "now",
      arguments: "{}",
    });
  });

  test("a mid-stream Anthropic error becomes the numbered Responses error event, then response.failed", async () => {
    const out = await drain(
      translateStream(
        replay(sseFixture("anthropic/message-error.sse.txt")),
        readMessagesEvent,
        new MessagesToResponsesWriter("m", options),
      ),
    );
    // Claude's overloaded_error as OpenAI says an overload: the code Codex reads as one.
    expect(JSON.parse(out.at(-2)?.data ?? "{}")).toMatchObject({
      type: "error",
      code: "server_is_overloaded",
    });
    expect(JSON.parse(out.at(-1)?.data ?? "{}")).toMatchObject({
      type: "response.failed",
      response: { status: "failed", error: { code: "server_is_overloaded", message: "Overloaded" } },
    });
  });

  test.each([
    ["Claude's (no thinking back)", undefined, 0],
    ["DeepSeek's /anthropic (thinking back)", "ds", 300],
  ])(
    "%s: a thinking delta makes no generator of its own, one an event (the chat writer's bodies) and no more",
    (_, thinkingBackTo, reasoningDeltas) => {
      const events = thinkingAnswer(300);
      const writer = new MessagesToResponsesWriter("m", { ...options, thinkingBackTo });
      let reasoning = 0;
      const made = generatorsMade(() => {
        for (const event of events)
          for (const { data } of writer.chunk(event))
            if (data.includes('"response.reasoning_summary_text.delta"')) reasoning++;
      });
      expect(made).toBeLessThanOrEqual(events.length);
      expect(reasoning).toBe(reasoningDeltas);
    },
  );
});
