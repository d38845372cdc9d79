import { afterAll, beforeAll, expect, test } from "bun:test";
import type { AuditRecord } from "../audit/audit-record.ts";
import { EMBEDDED_DEFAULTS, parseConfig } from "../config/load-config.ts";
import type { Gateway } from "../gateway/create-gateway.ts";
import { recordingGateway } from "../testing/recording-gateway.ts";
import { waitForValue } from "../testing/wait-for.ts";
import { jsonFixture } from "../translate/fixtures/load-fixture.ts";

// What OpenAI's API refuses of a chat request, on routes that translate: refused there too, in
// OpenAI's words and codes, before any upstream call, where a translation would change the answer.
// Sampling settings outside OpenAI's ranges (400 `decimal_above_max_value` /
// `decimal_below_min_value`), rather than a temperature of 3 clamped to Claude's 1 and answered
// 200; no messages (400 `empty_array`), rather than an empty conversation sent and refused in the
// upstream's words; a `tool_choice` that asks for a call (`required`, a function) without tools
// (400, `param` the field), rather than `required` sent to Claude with nothing to call, or left out
// for Gemini and answered 200 without a call; a `response_format` OpenAI cannot read (400
// `invalid_value`, `missing_required_parameter`), rather than any unknown type taken for JSON mode.
// What asks for nothing — `tools: []`, `tool_choice` `none` or `auto` or `parallel_tool_calls`
// without tools, `stream_options` without a stream — is dropped and named, as it was answered
// before and as OpenAI-compatible servers take it. An OpenAI-shaped upstream judges its own.

let gateway: Gateway;
let upstream: ReturnType<typeof Bun.serve>;
let adminKey = "";
let finished: AuditRecord[] = [];
const paths: string[] = [];
const bodies: Record<string, unknown>[] = [];

beforeAll(async () => {
  upstream = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      const path = new URL(request.url).pathname;
      paths.push(path);
      bodies.push((await request.json()) as Record<string, unknown>);
      if (path.endsWith(":generateContent"))
        return Response.json(jsonFixture("gemini/generate-content-tool.json"));
      return Response.json(jsonFixture("anthropic/message-text.json"));
    },
  });
  const config = parseConfig({
    ...EMBEDDED_DEFAULTS,
    storage: { path: ":memory:" },
    providers: [
      { name: "an", type: "anthropic", base_url: `http://127.0.0.1:${upstream.port}`, api_key: "k" },
      { name: "gm", type: "gemini", base_url: `http://127.0.0.1:${upstream.port}/v1beta`, api_key: "k" },
    ],
    models: [
      { name: "claude", routes: [{ provider: "an", model: "c" }] },
      { name: "gemini", routes: [{ provider: "gm", model: "gemini-2.5-flash" }] },
    ],
    routing: { retries: 0 },
  });
  ({ gateway, adminKey, finished } = await recordingGateway(config));
});

afterAll(async () => {
  await gateway.stop();
  upstream.stop(true);
});

const chat = (model: string, fields: object) =>
  gateway.handle(
    new Request("http://localhost/v1/chat/completions", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${adminKey}` },
      body: JSON.stringify({ model, messages: [{ role: "user", content: "hi" }], ...fields }),
    }),
  );

const CASES: [object, object][] = [
  [
    { temperature: 3 },
    {
      message:
        "Invalid 'temperature': decimal above maximum value. Expected a value <= 2, but got 3 instead.",
      type: "invalid_request_error",
      param: "temperature",
      code: "decimal_above_max_value",
    },
  ],
  [
    { temperature: -0.5 },
    {
      message:
        "Invalid 'temperature': decimal below minimum value. Expected a value >= 0, but got -0.5 instead.",
      type: "invalid_request_error",
      param: "temperature",
      code: "decimal_below_min_value",
    },
  ],
  [
    { top_p: 1.5 },
    {
      message: "Invalid 'top_p': decimal above maximum value. Expected a value <= 1, but got 1.5 instead.",
      type: "invalid_request_error",
      param: "top_p",
      code: "decimal_above_max_value",
    },
  ],
  [
    { presence_penalty: -3 },
    {
      message:
        "Invalid 'presence_penalty': decimal below minimum value. Expected a value >= -2, but got -3 instead.",
      type: "invalid_request_error",
      param: "presence_penalty",
      code: "decimal_below_min_value",
    },
  ],
  [
    { frequency_penalty: 2.5 },
    {
      message:
        "Invalid 'frequency_penalty': decimal above maximum value. Expected a value <= 2, but got 2.5 instead.",
      type: "invalid_request_error",
      param: "frequency_penalty",
      code: "decimal_above_max_value",
    },
  ],
];

test("a setting outside OpenAI's range is OpenAI's 400 on an Anthropic and a Gemini route, nothing sent", async () => {
  for (const model of ["claude", "gemini"]) {
    for (const [fields, error] of CASES) {
      const before = paths.length;
      const response = await chat(model, fields);
      expect(response.status).toBe(400);
      expect(response.headers.get("x-request-id")).toMatch(/^req_/);
      expect(await response.json()).toEqual({ error });
      expect(paths.length).toBe(before);
    }
  }
});

test("the ends of each range are taken: a temperature of 2 is Claude's 1, named", async () => {
  const response = await chat("claude", { temperature: 2, top_p: 0, presence_penalty: -2 });
  expect(response.status).toBe(200);
  expect(response.headers.get("x-mindgw-dropped")).toContain("temperature (clamped to 1)");
  const gemini = await chat("gemini", { temperature: 0, top_p: 1, frequency_penalty: 2 });
  expect(gemini.status).toBe(200);
});

test("no messages is OpenAI's 400 empty_array on an Anthropic and a Gemini route, nothing sent", async () => {
  for (const model of ["claude", "gemini"]) {
    const before = paths.length;
    const response = await chat(model, { messages: [] });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: {
        message:
          "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.",
        type: "invalid_request_error",
        param: "messages",
        code: "empty_array",
      },
    });
    expect(paths.length).toBe(before);
  }
});

test("a tool_choice that asks for a call without tools is OpenAI's 400 on an Anthropic and a Gemini route, nothing sent", async () => {
  const cases: object[] = [
    { tool_choice: "required" },
    { tool_choice: { type: "function", function: { name: "f" } } },
    // An empty list is no tools: the call asked for still has nothing to call.
    { tools: [], tool_choice: "required" },
  ];
  for (const model of ["claude", "gemini"]) {
    for (const fields of cases) {
      const before = paths.length;
      const response = await chat(model, fields);
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({
        error: {
          message:
            "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.",
          type: "invalid_request_error",
          param: "tool_choice",
          code: "invalid_request",
        },
      });
      expect(paths.length).toBe(before);
    }
  }
  // Beside tools, each is sent.
  const tools = [{ type: "function", function: { name: "f", parameters: { type: "object" } } }];
  const sent = await chat("claude", { tools, tool_choice: "required", parallel_tool_calls: false });
  expect(sent.status).toBe(200);
});

test("what asks for nothing without tools or a stream is dropped and named on an Anthropic and a Gemini route, the call answered", async () => {
  const cases: [object, string[]][] = [
    [{ tool_choice: "none" }, ["tool_choice (no tools)"]],
    [{ tool_choice: "auto" }, ["tool_choice (no tools)"]],
    [{ tools: [] }, ["tools (empty)"]],
    [{ tools: [], tool_choice: "auto" }, ["tools (empty)", "tool_choice (no tools)"]],
    [{ parallel_tool_calls: false }, ["parallel_tool_calls (no tools)"]],
    [{ stream: false, stream_options: { include_usage: true } }, ["stream_options (no stream)"]],
    [{ stream_options: { include_usage: true } }, ["stream_options (no stream)"]],
  ];
  for (const model of ["claude", "gemini"]) {
    for (const [fields, named] of cases) {
      const response = await chat(model, fields);
      expect(response.status).toBe(200);
      const dropped = (response.headers.get("x-mindgw-dropped") ?? "").split(", ");
      for (const name of named) expect(dropped).toContain(name);
      const sent = bodies.at(-1) ?? {};
      for (const field of ["tools", "tool_choice", "toolConfig"]) expect(sent[field]).toBeUndefined();
    }
  }
});

test("a response_format OpenAI cannot read is its 400 on an Anthropic and a Gemini route, nothing sent", async () => {
  const missing = (param: string) => ({
    message: `Missing required parameter: '${param}'.`,
    type: "invalid_request_error",
    param,
    code: "missing_required_parameter",
  });
  const cases: [object, object][] = [
    [
      { type: "xml" },
      {
        message: "Invalid value: 'xml'. Supported values are: 'text', 'json_object', and 'json_schema'.",
        type: "invalid_request_error",
        param: "response_format.type",
        code: "invalid_value",
      },
    ],
    [{}, missing("response_format.type")],
    [{ type: "json_schema" }, missing("response_format.json_schema")],
    [
      { type: "json_schema", json_schema: { schema: { type: "object" } } },
      missing("response_format.json_schema.name"),
    ],
  ];
  for (const model of ["claude", "gemini"]) {
    for (const [format, error] of cases) {
      const before = paths.length;
      const response = await chat(model, { response_format: format });
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({ error });
      expect(paths.length).toBe(before);
    }
  }
  for (const format of [
    { type: "text" },
    { type: "json_object" },
    { type: "json_schema", json_schema: { name: "x" } },
  ])
    expect((await chat("claude", { response_format: format })).status).toBe(200);
});

test("OpenAI's code is the caller's; the gateway's record of each refusal says invalid_request", async () => {
  const cases: [object, string][] = [
    [{ temperature: 3 }, "decimal_above_max_value"],
    [{ top_p: -1 }, "decimal_below_min_value"],
    [{ messages: [] }, "empty_array"],
    [{ response_format: { type: "xml" } }, "invalid_value"],
    [{ response_format: {} }, "missing_required_parameter"],
  ];
  for (const [fields, code] of cases) {
    const response = await chat("claude", fields);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe(code);
    const id = response.headers.get("x-request-id");
    const row = await waitForValue("its record", () => finished.find((r) => r.requestId === id));
    expect(row.errorClass).toBe("invalid_request");
  }
});
