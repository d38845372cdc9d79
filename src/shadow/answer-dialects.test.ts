import { beforeAll, describe, expect, test } from "bun:test";
import { StreamUsageMeter } from "../translate/stream-usage-meter.ts";
import { agreementOf } from "./agreement.ts";
import { type Answer, AnswerStream, answerFromJson } from "./answer.ts";
import { loadSchemaCheck } from "./schema-check.ts";
import { answerFromSseText, SseAnswerReader } from "./sse-answer-reader.ts";

// The answer a shadow pair compares, read from each dialect's JSON and stream alike (answer.ts,
// sse-answer-reader.ts).

// Ajv is loaded before a schema is judged (agreement.ts, `agreementReady`), as the runner does.
beforeAll(loadSchemaCheck);

const text = (t: string, finish: string | null = "stop"): Answer => ({ text: t, toolCalls: [], finish });

describe("reading answers in each dialect", () => {
  test("OpenAI chat: JSON and a stream read the same answer, tool arguments joined across deltas", () => {
    const json = answerFromJson("chat", {
      choices: [
        {
          message: {
            content: "hi there",
            tool_calls: [{ function: { name: "f", arguments: '{"a":1}' } }],
          },
        },
      ],
    });
    const sse = [
      'data: {"choices":[{"delta":{"content":"hi"}}]}',
      'data: {"choices":[{"delta":{"content":" there","tool_calls":[{"index":0,"function":{"name":"f","arguments":"{\\"a\\""}}]}}]}',
      'data: {"choices":[{"delta":{"tool_calls":[{"index":0,"function":{"arguments":":1}"}}]}}]}',
      "data: [DONE]",
      "",
    ].join("\n\n");
    expect(answerFromSseText("chat", sse)).toEqual(json);
    expect(json).toEqual({ text: "hi there", toolCalls: [{ name: "f", arguments: { a: 1 } }], finish: null });
  });

  test("n > 1: a stream's chunks for other choices are not mixed into choice 0, as a whole body reads it", () => {
    const json = answerFromJson("chat", {
      choices: [
        { index: 0, message: { content: "one two" } },
        { index: 1, message: { content: "uno dos" } },
      ],
    });
    const chunk = (choices: object[]) => `data: ${JSON.stringify({ choices })}`;
    const sse = [
      chunk([{ index: 1, delta: { content: "uno" } }]),
      chunk([{ index: 0, delta: { content: "one" } }]),
      chunk([
        { index: 1, delta: { content: " dos" } },
        { index: 0, delta: { content: " two" } },
      ]),
      "data: [DONE]",
      "",
    ].join("\n\n");
    expect(json.text).toBe("one two");
    expect(answerFromSseText("chat", sse)).toEqual(json);
    const stream = new AnswerStream("chat");
    for (const event of sse.split("\n\n")) if (event) stream.event(event.slice("data: ".length));
    expect(stream.answer()).toEqual(json);
  });

  test("a stream's events are read together; a malformed event or CRLF lines are read around", () => {
    const events = ["hi", " there", "!"].map((t) => `data: {"choices":[{"delta":{"content":"${t}"}}]}`);
    expect(answerFromSseText("chat", [...events, "data: [DONE]", ""].join("\r\n\r\n")).text).toBe(
      "hi there!",
    );
    // One event that is no JSON: the slice cannot be read as one array, so each event is read alone.
    const broken = [events[0], "data: {not json", events[1], events[2], ""].join("\n\n");
    expect(answerFromSseText("chat", broken).text).toBe("hi there!");
    // Data split over two lines of one event (legal SSE): joined before it is parsed.
    const split = 'data: {"choices":[{"delta":\ndata: {"content":"joined"}}]}\n\n';
    expect(answerFromSseText("chat", split).text).toBe("joined");
  });

  test("a plain OpenAI stream is parsed as one array; every shape reads as it does event by event", () => {
    // The reference: each event's data lines joined, parsed alone, usage read off each.
    const byEvent = (text: string) => {
      const stream = new AnswerStream("chat");
      const meter = new StreamUsageMeter("openai");
      for (const block of text.split(/\r?\n\r?\n/)) {
        const data = block
          .split(/\r?\n/)
          .filter((line) => line.startsWith("data:"))
          .map((line) => line.slice(5).replace(/^ /, ""))
          .join("\n");
        if (data === "") continue;
        stream.event(data);
        meter.observe({ data });
      }
      return { answer: stream.answer(), usage: meter.usage };
    };
    const delta = (content: string) => `data: {"choices":[{"index":0,"delta":{"content":"${content}"}}]}`;
    const usage = 'data: {"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2}}';
    const tool = `data: {"choices":[{"delta":{"tool_calls":[{"index":0,"function":{"name":"f","arguments":"{}"}}]}}]}`;
    const streams = [
      [delta("a"), delta(" b"), usage, "data: [DONE]", ""].join("\n\n"),
      [delta("a"), delta(" b"), usage].join("\n\n"),
      [delta("a"), tool, "data: [DONE]", "", ""].join("\n\n"),
      [delta("only")].join(""),
      // Shapes the one-array reading refuses: each is read line by line instead.
      [delta("a"), ": keep-alive", delta("b"), ""].join("\n\n"),
      [`event: x\n${delta("a")}`, delta("b"), ""].join("\n\n"),
      [delta("a"), "data: [DONE]", delta("after"), ""].join("\n\n"),
      [delta("a"), "data: 1,2", delta("b"), ""].join("\n\n"),
      [delta("a"), "data: {}, {}", delta("b"), ""].join("\n\n"),
      [delta("a"), 'data: {"choices":[{"delta":\n{"content":"x"}}]}', delta("b"), ""].join("\n\n"),
      [delta("a"), "data:", delta("b"), ""].join("\n\n"),
      [delta("a"), delta("b"), ""].join("\r\n\r\n"),
      "data: [DONE]\n\n",
      "",
    ];
    for (const text of streams) {
      const reader = new SseAnswerReader("chat", "openai");
      reader.push(text);
      expect(reader.finish()).toEqual(byEvent(text));
    }
    const reader = new SseAnswerReader("chat", "openai");
    reader.push(streams[0] as string);
    expect(reader.finish()).toEqual({
      answer: { text: "a b", toolCalls: [], finish: null },
      usage: { inputTokens: 3, outputTokens: 2 },
    });
  });

  test("Anthropic messages: text and tool_use blocks, streamed with input_json_delta", () => {
    const json = answerFromJson("messages", {
      content: [
        { type: "text", text: "ok" },
        { type: "tool_use", name: "f", input: { a: 1 } },
      ],
    });
    const stream = new AnswerStream("messages");
    for (const event of [
      { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
      { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "ok" } },
      { type: "content_block_start", index: 1, content_block: { type: "tool_use", name: "f", input: {} } },
      { type: "content_block_delta", index: 1, delta: { type: "input_json_delta", partial_json: '{"a":' } },
      { type: "content_block_delta", index: 1, delta: { type: "input_json_delta", partial_json: "1}" } },
    ])
      stream.event(JSON.stringify(event));
    expect(stream.answer()).toEqual(json);
  });

  test("Anthropic's server tools (web search) are no tool calls, streamed as whole: their input_json_delta is not read as one", () => {
    // The API streams a server_tool_use block's input as input_json_delta too; a whole answer's
    // server_tool_use block is no `tool_use`, so neither is the stream's.
    const content = [
      { type: "server_tool_use", id: "srvtoolu_1", name: "web_search", input: { query: "weather" } },
      { type: "web_search_tool_result", tool_use_id: "srvtoolu_1", content: [] },
      { type: "text", text: "Sunny." },
    ];
    const json = answerFromJson("messages", { content, stop_reason: "end_turn" });
    const stream = new AnswerStream("messages");
    for (const event of [
      {
        type: "content_block_start",
        index: 0,
        content_block: { type: "server_tool_use", id: "srvtoolu_1", name: "web_search", input: {} },
      },
      {
        type: "content_block_delta",
        index: 0,
        delta: { type: "input_json_delta", partial_json: '{"query":' },
      },
      {
        type: "content_block_delta",
        index: 0,
        delta: { type: "input_json_delta", partial_json: '"weather"}' },
      },
      { type: "content_block_start", index: 1, content_block: content[1] },
      { type: "content_block_start", index: 2, content_block: { type: "text", text: "" } },
      { type: "content_block_delta", index: 2, delta: { type: "text_delta", text: "Sunny." } },
      { type: "message_delta", delta: { stop_reason: "end_turn" } },
    ])
      stream.event(JSON.stringify(event));
    expect(stream.answer()).toEqual(json);
    expect(json.toolCalls).toEqual([]);
    // A candidate that answered the same without searching agrees: no tools on either side.
    const measures = agreementOf({}, stream.answer(), text("Sunny."));
    expect(measures.toolsAgree).toBeNull();
    expect(measures.exact).toBe(true);
  });

  test("a tool called with no arguments reads as {} streamed as whole: Anthropic's empty input_json_delta, an empty arguments text", () => {
    // Anthropic streams a tool_use without input as `input: {}` and one empty partial_json; the
    // SDK's MessageStream keeps the `{}` (it parses only a buffer with text in it).
    const json = answerFromJson("messages", { content: [{ type: "tool_use", name: "now", input: {} }] });
    const stream = new AnswerStream("messages");
    for (const event of [
      { type: "content_block_start", index: 0, content_block: { type: "tool_use", name: "now", input: {} } },
      { type: "content_block_delta", index: 0, delta: { type: "input_json_delta", partial_json: "" } },
    ])
      stream.event(JSON.stringify(event));
    expect(stream.answer()).toEqual(json);
    // A chat answer whose upstream sent the arguments empty agrees with one that sent `{}`.
    const call = (args: string) => ({
      choices: [
        { message: { tool_calls: [{ type: "function", function: { name: "now", arguments: args } }] } },
      ],
    });
    const empty = answerFromJson("chat", call(""));
    expect(empty.toolCalls).toEqual(answerFromJson("chat", call("{}")).toolCalls);
    expect(agreementOf({}, empty, answerFromJson("chat", call("{}"))).toolsAgree).toBe(true);
  });

  test("Responses: output_text and function_call items; a stream's completed event wins", () => {
    const response = {
      output: [
        { type: "message", content: [{ type: "output_text", text: "done" }] },
        { type: "function_call", name: "f", arguments: '{"a":1}' },
      ],
    };
    expect(answerFromJson("responses", response)).toEqual({
      text: "done",
      toolCalls: [{ name: "f", arguments: { a: 1 } }],
      finish: null,
    });
    const stream = new AnswerStream("responses");
    stream.event(JSON.stringify({ type: "response.output_text.delta", delta: "do" }));
    stream.event(JSON.stringify({ type: "response.completed", response }));
    expect(stream.answer().toolCalls).toHaveLength(1);
  });
});
