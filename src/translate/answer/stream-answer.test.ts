import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { JsonObject } from "../../core/dialect.ts";
import { encodeSse } from "../../core/sse.ts";
import { drain, jsonFixture, replay, sseFixture } from "../fixtures/load-fixture.ts";
import { chatStreamToResponses } from "../responses/chat-stream-to-responses.ts";
import { wholeAnswerOfStream } from "./stream-answer.ts";

// A captured stream's wire text folds into the answer the same call without `stream` gives:
// recorded streams against recorded whole answers of the same exchange.

const wire = (name: string) => readFileSync(join(import.meta.dir, "../fixtures", name), "utf8");
const choice = (answer: JsonObject | undefined) => (answer?.choices as JsonObject[] | undefined)?.[0];
const message = (answer: JsonObject | undefined) => (choice(answer)?.message ?? {}) as JsonObject;

describe("wholeAnswerOfStream", () => {
  test("OpenAI chat: the text and the finish reason of the whole answer", () => {
    const folded = wholeAnswerOfStream("chat", wire("openai/chat-text.sse.txt"));
    const whole = jsonFixture("openai/chat-text.json");
    expect(folded).toMatchObject({ object: "chat.completion", model: whole.model });
    expect(choice(folded)).toMatchObject({
      index: 0,
      message: { role: "assistant", content: message(whole).content },
      finish_reason: "stop",
    });
    expect(folded?.usage).toMatchObject({ prompt_tokens: 19 });
  });

  test("OpenAI chat: tool calls by index, ids and arguments joined, as the whole answer has them", () => {
    const whole = jsonFixture("openai/chat-tool-calls.json");
    const folded = wholeAnswerOfStream("chat", wire("openai/chat-tool-calls.sse.txt"));
    expect(message(folded).tool_calls).toEqual(message(whole).tool_calls);
    expect(choice(folded)?.finish_reason).toBe("tool_calls");
    const interleaved = wholeAnswerOfStream("chat", wire("openai/chat-tool-calls-interleaved.sse.txt"));
    const calls = message(interleaved).tool_calls as JsonObject[];
    expect(calls.map((call) => call.function)).toEqual([
      { name: "get_weather", arguments: '{"city":"Paris"}' },
      { name: "get_time", arguments: '{"tz":"CET"}' },
    ]);
  });

  test("a stream its upstream broke off: the text so far, no finish reason", () => {
    const folded = wholeAnswerOfStream("chat", wire("openai/chat-error-midstream.sse.txt"));
    expect(choice(folded)).toMatchObject({ message: { content: "Let me check" }, finish_reason: null });
    const message = wholeAnswerOfStream("messages", wire("anthropic/message-error.sse.txt"));
    expect(message).toMatchObject({ content: [{ type: "text", text: "Once upon" }], stop_reason: null });
  });

  test("Anthropic: the message, its blocks from their deltas, a tool's input from its JSON fragments", () => {
    const whole = jsonFixture("anthropic/message-tool-use.json");
    const folded = wholeAnswerOfStream("messages", wire("anthropic/message-tool-use.sse.txt"));
    // The recorded whole answer also thought first; the recorded stream did not.
    const blocks = (whole.content as JsonObject[]).filter((block) => block.type !== "thinking");
    expect(folded).toMatchObject({ id: whole.id, role: "assistant", stop_reason: "tool_use" });
    expect(folded?.content).toEqual(blocks);
    expect(wholeAnswerOfStream("messages", wire("anthropic/message-text.sse.txt"))).toMatchObject({
      content: jsonFixture("anthropic/message-text.json").content as JsonObject[],
      stop_reason: "end_turn",
      usage: { output_tokens: 12 },
    });
  });

  test("Responses: the response its last event carries; cut short, the items done and the text so far", async () => {
    let stored: JsonObject | undefined;
    const events = await drain(
      chatStreamToResponses(replay(sseFixture("openai/chat-text.sse.txt")), {
        request: { model: "gpt-4o-mini", input: "Hi", stream: true },
        id: "resp_1",
        onResponse: (response) => {
          stored = response;
        },
      }),
    );
    const text = events.map(encodeSse).join("");
    expect(wholeAnswerOfStream("responses", text)).toEqual(stored as JsonObject);
    const cut = events.filter((event) => !/^response\.(completed|output_item\.done)/.test(event.event ?? ""));
    expect(wholeAnswerOfStream("responses", cut.map(encodeSse).join(""))).toMatchObject({
      id: "resp_1",
      status: "in_progress",
      output: [
        { type: "message", content: [{ type: "output_text", text: "Hello! How can I help you today?" }] },
      ],
    });
  });

  test("a capture cut at its bound: the events before the cut, the torn one left out", () => {
    const text = wire("openai/chat-text.sse.txt");
    const torn = `${text.slice(0, text.lastIndexOf("data:") + 40)}\n[cut at 262144 characters]`;
    expect(message(wholeAnswerOfStream("chat", torn)).content).toBe("Hello! How can I help you today?");
  });

  test("no event of an answer: nothing", () => {
    expect(wholeAnswerOfStream("chat", "")).toBeUndefined();
    expect(wholeAnswerOfStream("messages", ": keep-alive\n\n")).toBeUndefined();
    expect(wholeAnswerOfStream("embeddings", "data: {}\n\n")).toBeUndefined();
  });
});
