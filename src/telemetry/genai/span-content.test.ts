import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { makeRecord } from "../../audit/audit-fixture.ts";
import type { AuditRecord } from "../../audit/audit-record.ts";
import { redactSecrets } from "../../audit/redact-body.ts";
import { encodeSse } from "../../core/sse.ts";
import { drain, jsonFixture, replay, sseFixture } from "../../translate/fixtures/load-fixture.ts";
import { chatStreamToResponses } from "../../translate/responses/chat-stream-to-responses.ts";
import { MAX_CONTENT, spanContent } from "./span-content.ts";

// The GenAI semantic conventions' message shape, from the bodies `audit.bodies` captures: each
// front door's request dialect, and its answer whole or as the recorded stream's wire text.

const fixtures = join(import.meta.dir, "../../translate/fixtures");
const wire = (name: string) => readFileSync(join(fixtures, name), "utf8");

function content(frontDoor: AuditRecord["frontDoor"], request: object, response?: string | object) {
  const record = makeRecord({
    frontDoor,
    requestBody: JSON.stringify(request),
    ...(response === undefined
      ? {}
      : { responseBody: typeof response === "string" ? response : JSON.stringify(response) }),
  });
  const { system, input, output } = spanContent(record, redactSecrets);
  const parse = (text: string | undefined) => (text === undefined ? undefined : JSON.parse(text));
  return {
    system: parse(system),
    input: parse(input),
    output: parse(output),
    raw: { system, input, output },
  };
}

const weatherCalls = [
  {
    type: "tool_call",
    id: "call_VwQ3Xj9yHk2LmN8pRt5sUa1b",
    name: "get_weather",
    arguments: { location: "Paris, France", unit: "celsius" },
  },
  {
    type: "tool_call",
    id: "call_Zc7Df4Gh6Jk8Lm0Np2Qr4St6",
    name: "get_weather",
    arguments: { location: "Tokyo, Japan", unit: "celsius" },
  },
];

describe("OpenAI chat", () => {
  const request = {
    model: "gpt-4o-mini",
    messages: [
      { role: "system", content: "Be brief." },
      {
        role: "user",
        content: [
          { type: "text", text: "What is in this picture?" },
          { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=" } },
          { type: "image_url", image_url: { url: "https://example.com/cat.png" } },
        ],
      },
      {
        role: "assistant",
        content: null,
        tool_calls: [{ id: "call_1", type: "function", function: { name: "look", arguments: '{"zoom":2}' } }],
      },
      { role: "tool", tool_call_id: "call_1", content: "a cat" },
    ],
  };

  test("the history as messages of parts: system messages among them, media, tool calls and their results", () => {
    const { system, input } = content("chat", request);
    expect(system).toBeUndefined();
    expect(input).toEqual([
      { role: "system", parts: [{ type: "text", content: "Be brief." }] },
      {
        role: "user",
        parts: [
          { type: "text", content: "What is in this picture?" },
          { type: "blob", modality: "image", mime_type: "image/png", content: "iVBORw0KGgo=" },
          { type: "uri", modality: "image", mime_type: null, uri: "https://example.com/cat.png" },
        ],
      },
      {
        role: "assistant",
        parts: [{ type: "tool_call", id: "call_1", name: "look", arguments: { zoom: 2 } }],
      },
      { role: "tool", parts: [{ type: "tool_call_response", id: "call_1", response: "a cat" }] },
    ]);
  });

  test("a whole answer: one message a choice, tool calls with their arguments parsed, `tool_call` as the finish", () => {
    const { output } = content("chat", request, jsonFixture("openai/chat-tool-calls.json"));
    expect(output).toEqual([{ role: "assistant", parts: weatherCalls, finish_reason: "tool_call" }]);
  });

  test("a stream: the assistant message its events add up to", () => {
    expect(content("chat", request, wire("openai/chat-text.sse.txt")).output).toEqual([
      {
        role: "assistant",
        parts: [{ type: "text", content: "Hello! How can I help you today?" }],
        finish_reason: "stop",
      },
    ]);
    expect(content("chat", request, wire("openai/chat-tool-calls.sse.txt")).output).toEqual([
      { role: "assistant", parts: weatherCalls, finish_reason: "tool_call" },
    ]);
    // Broken off by the upstream: what came, and an `error` finish.
    expect(content("chat", request, wire("openai/chat-error-midstream.sse.txt")).output).toEqual([
      { role: "assistant", parts: [{ type: "text", content: "Let me check" }], finish_reason: "error" },
    ]);
  });

  test("an error answer is no output message", () => {
    const error = { error: { message: "no", type: "invalid_request_error", param: null, code: null } };
    expect(content("chat", request, error).raw.output).toBeUndefined();
  });
});

describe("Anthropic messages", () => {
  const request = {
    model: "claude-sonnet-4-5",
    max_tokens: 64,
    system: [{ type: "text", text: "You are a weather bot." }],
    messages: [
      { role: "user", content: "Weather in Paris and Tokyo?" },
      {
        role: "assistant",
        content: [
          { type: "thinking", thinking: "Two cities.", signature: "sig" },
          { type: "tool_use", id: "toolu_1", name: "get_weather", input: { location: "Paris" } },
        ],
      },
      {
        role: "user",
        content: [
          { type: "tool_result", tool_use_id: "toolu_1", content: [{ type: "text", text: "rainy" }] },
          { type: "image", source: { type: "base64", media_type: "image/jpeg", data: "/9j/4AAQ" } },
        ],
      },
    ],
  };

  test("`system` as the system instructions; the history's blocks as parts", () => {
    const { system, input } = content("messages", request);
    expect(system).toEqual([{ type: "text", content: "You are a weather bot." }]);
    expect(input).toEqual([
      { role: "user", parts: [{ type: "text", content: "Weather in Paris and Tokyo?" }] },
      {
        role: "assistant",
        parts: [
          { type: "reasoning", content: "Two cities." },
          { type: "tool_call", id: "toolu_1", name: "get_weather", arguments: { location: "Paris" } },
        ],
      },
      {
        role: "user",
        parts: [
          { type: "tool_call_response", id: "toolu_1", response: "rainy" },
          { type: "blob", modality: "image", mime_type: "image/jpeg", content: "/9j/4AAQ" },
        ],
      },
    ]);
    expect(content("count_tokens", request).input).toHaveLength(3);
  });

  test("a whole answer and its stream: the same message, `tool_use` as `tool_call`", () => {
    const parts = [
      { type: "text", content: "I'll check the weather in both cities." },
      {
        type: "tool_call",
        id: "toolu_01T1x1fJ34qAmk2tNTrN7Up6",
        name: "get_weather",
        arguments: { location: "Paris, France", unit: "celsius" },
      },
      {
        type: "tool_call",
        id: "toolu_01VkqfZWbZ9Qn8QyJg4Xc2mD",
        name: "get_weather",
        arguments: { location: "Tokyo, Japan", unit: "celsius" },
      },
    ];
    expect(content("messages", request, jsonFixture("anthropic/message-tool-use.json")).output).toEqual([
      {
        role: "assistant",
        parts: [{ type: "reasoning", content: "Two cities, two calls." }, ...parts],
        finish_reason: "tool_call",
      },
    ]);
    expect(content("messages", request, wire("anthropic/message-tool-use.sse.txt")).output).toEqual([
      { role: "assistant", parts, finish_reason: "tool_call" },
    ]);
    expect(content("messages", request, wire("anthropic/message-text.sse.txt")).output).toEqual([
      {
        role: "assistant",
        parts: [{ type: "text", content: "Hello! How can I help you today?" }],
        finish_reason: "stop",
      },
    ]);
  });
});

describe("Responses API", () => {
  const request = {
    model: "gpt-4o-mini",
    instructions: "Answer in French.",
    input: [
      { role: "user", content: [{ type: "input_text", text: "Weather in Paris?" }] },
      { type: "reasoning", id: "rs_1", summary: [{ type: "summary_text", text: "Call the tool." }] },
      { type: "function_call", call_id: "call_1", name: "get_weather", arguments: '{"city":"Paris"}' },
      { type: "function_call_output", call_id: "call_1", output: "pluie" },
    ],
  };

  test("`instructions` as the system instructions; a model's turn of items as one message", () => {
    const { system, input } = content("responses", request);
    expect(system).toEqual([{ type: "text", content: "Answer in French." }]);
    expect(input).toEqual([
      { role: "user", parts: [{ type: "text", content: "Weather in Paris?" }] },
      {
        role: "assistant",
        parts: [
          { type: "reasoning", content: "Call the tool." },
          { type: "tool_call", id: "call_1", name: "get_weather", arguments: { city: "Paris" } },
        ],
      },
      { role: "tool", parts: [{ type: "tool_call_response", id: "call_1", response: "pluie" }] },
    ]);
    expect(content("responses", { model: "m", input: "Hi" }).input).toEqual([
      { role: "user", parts: [{ type: "text", content: "Hi" }] },
    ]);
  });

  test("a response, whole or streamed: its output items as one message", async () => {
    let stored: object | undefined;
    const events = await drain(
      chatStreamToResponses(replay(sseFixture("openai/chat-tool-calls.sse.txt")), {
        request: { model: "gpt-4o-mini", input: "Hi", stream: true },
        id: "resp_1",
        onResponse: (response) => {
          stored = response;
        },
      }),
    );
    const expected = [{ role: "assistant", parts: weatherCalls, finish_reason: "tool_call" }];
    expect(content("responses", request, events.map(encodeSse).join("")).output).toEqual(expected);
    expect(content("responses", request, stored).output).toEqual(expected);
  });
});

describe("completions and embeddings", () => {
  test("the prompt as the user's message; an embedding has no output message", () => {
    const completion = content(
      "completions",
      { model: "m", prompt: ["Once", "upon"] },
      { object: "text_completion", choices: [{ index: 0, text: " a time", finish_reason: "length" }] },
    );
    expect(completion.input).toEqual([
      {
        role: "user",
        parts: [
          { type: "text", content: "Once" },
          { type: "text", content: "upon" },
        ],
      },
    ]);
    expect(completion.output).toEqual([
      { role: "assistant", parts: [{ type: "text", content: " a time" }], finish_reason: "length" },
    ]);
    const embedding = content("embeddings", { model: "e", input: "hello" }, { object: "list", data: [] });
    expect(embedding.input).toEqual([{ role: "user", parts: [{ type: "text", content: "hello" }] }]);
    expect(embedding.raw.output).toBeUndefined();
  });

  test("a request that is no model call carries no content", () => {
    expect(
      spanContent(makeRecord({ frontDoor: "admin", requestBody: '{"name":"k"}' }), redactSecrets),
    ).toEqual({});
  });
});

describe("bounds and redaction", () => {
  test("credentials are redacted wherever they are: texts, tool arguments", () => {
    const key = "sk-abcdefghijklmnopqrstuvwxyz0123";
    const { raw } = content("chat", {
      model: "m",
      messages: [
        { role: "user", content: `my key is ${key}` },
        {
          role: "assistant",
          tool_calls: [{ id: "c", function: { name: "login", arguments: JSON.stringify({ token: key }) } }],
        },
      ],
    });
    expect(raw.input).not.toContain(key);
    expect(raw.input).toContain("my key is [redacted]");
    expect(JSON.parse(raw.input ?? "")[1].parts[0].arguments).toEqual({ token: "[redacted]" });
  });

  test("a long conversation: valid JSON within the bound, the newest turns kept, long texts cut", () => {
    const long = "word ".repeat(2000);
    const messages = Array.from({ length: 200 }, (_, i) => ({
      role: i % 2 ? "assistant" : "user",
      content: `${i} ${long}`,
    }));
    const { input, raw } = content("chat", { model: "m", messages });
    expect(raw.input?.length).toBeLessThanOrEqual(MAX_CONTENT);
    expect(input.length).toBeGreaterThan(10);
    expect(input.at(-1).parts[0].content).toStartWith("199 word");
    expect(input.at(-1).parts[0].content).toEndWith("…[cut]");
    // One answer longer than the bound: its text cut, the message whole.
    const { output, raw: rawOutput } = content(
      "chat",
      { model: "m", messages: [] },
      {
        choices: [
          { index: 0, message: { role: "assistant", content: long.repeat(3) }, finish_reason: "stop" },
        ],
      },
    );
    expect(rawOutput.output?.length).toBeLessThanOrEqual(MAX_CONTENT);
    expect(rawOutput.output?.length).toBeGreaterThan(MAX_CONTENT - 100);
    expect(output[0]).toMatchObject({ role: "assistant", finish_reason: "stop" });
  });

  test("a short body is left whole", () => {
    const { raw } = content("chat", { model: "m", messages: [{ role: "user", content: "hi" }] });
    expect(raw.input).toBe('[{"role":"user","parts":[{"type":"text","content":"hi"}]}]');
  });
});

test("an embedder's own redaction applies to span content, each side told which it is", () => {
  const seen: string[] = [];
  const scrub = (text: string, kind: "request" | "response") => {
    seen.push(kind);
    return text.replaceAll("alice@example.com", "[email]");
  };
  const record = makeRecord({
    frontDoor: "chat",
    requestBody: JSON.stringify({
      model: "m",
      messages: [{ role: "user", content: "mail alice@example.com" }],
    }),
    responseBody: JSON.stringify({
      choices: [
        {
          index: 0,
          message: { role: "assistant", content: "sent to alice@example.com" },
          finish_reason: "stop",
        },
      ],
    }),
  });
  const { input, output } = spanContent(record, scrub);
  expect(input).toContain("[email]");
  expect(output).toContain("[email]");
  expect(`${input}${output}`).not.toContain("alice@example.com");
  expect(new Set(seen)).toEqual(new Set(["request", "response"]));
});

test("a request body kept with its leading byte-order mark gives the same system instructions and messages", () => {
  // The audit row keeps the mark as the caller sent it (http/audited-request-body.ts).
  const sent = JSON.stringify({
    model: "m",
    system: "be brief",
    messages: [{ role: "user", content: "hi" }],
  });
  const of = (requestBody: string) =>
    spanContent(makeRecord({ frontDoor: "messages", requestBody }), redactSecrets);
  expect(of(`\uFEFF${sent}`)).toEqual({
    system: '[{"type":"text","content":"be brief"}]',
    input: '[{"role":"user","parts":[{"type":"text","content":"hi"}]}]',
  });
  expect(of(`\uFEFF${sent}`)).toEqual(of(sent));
});
