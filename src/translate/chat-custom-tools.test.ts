import { describe, expect, test } from "bun:test";
import type { JsonObject } from "../core/dialect.ts";
import { GatewayError } from "../core/gateway-error.ts";
import { customCallsBack, customToolsAsFunctions } from "./chat-custom-tools.ts";
import type { OpenAIChunk } from "./openai-schema.ts";
import { CustomCallChunks } from "./stream/custom-call-chunks.ts";

const SQL = { type: "custom", custom: { name: "run_sql", description: "Runs SQL" } };
const PATCH = {
  type: "custom",
  custom: {
    name: "apply_patch",
    format: { type: "grammar", grammar: { syntax: "lark", definition: "start: /.+/" } },
  },
};
const WEATHER = { type: "function", function: { name: "get_weather", parameters: { type: "object" } } };
const user = { role: "user", content: "hi" };

function refusal(body: JsonObject): GatewayError | undefined {
  try {
    customToolsAsFunctions(body);
  } catch (error) {
    if (error instanceof GatewayError) return error;
    throw error;
  }
  return undefined;
}

describe("chat custom tools as functions (request)", () => {
  test("a request with no custom tool, choice or call is left alone", () => {
    expect(customToolsAsFunctions({ model: "m", messages: [user], tools: [WEATHER] })).toBeUndefined();
  });

  test("custom tools become functions of one input, the grammar told; functions stay; the named choice a function's", () => {
    const custom = customToolsAsFunctions({
      model: "m",
      messages: [user],
      tools: [SQL, WEATHER, PATCH],
      tool_choice: { type: "custom", custom: { name: "run_sql" } },
    });
    expect([...(custom?.names ?? [])]).toEqual(["run_sql", "apply_patch"]);
    const tools = custom?.body.tools as JsonObject[];
    expect(tools[0]).toMatchObject({
      type: "function",
      function: {
        name: "run_sql",
        description: "Runs SQL\n\nThe input is free text, passed to the tool as is.",
        parameters: { required: ["input"] },
      },
    });
    expect(tools[1]).toBe(WEATHER);
    expect(tools[2]).toMatchObject({
      function: { description: "The input must be text in this lark grammar:\nstart: /.+/" },
    });
    expect(custom?.body.tool_choice).toEqual({ type: "function", function: { name: "run_sql" } });
  });

  test("an allowed_tools choice's custom tools are allowed as their functions", () => {
    const custom = customToolsAsFunctions({
      model: "m",
      messages: [user],
      tools: [SQL, WEATHER],
      tool_choice: {
        type: "allowed_tools",
        allowed_tools: { mode: "required", tools: [{ type: "custom", custom: { name: "run_sql" } }] },
      },
    });
    expect(custom?.body.tool_choice).toEqual({
      type: "allowed_tools",
      allowed_tools: { mode: "required", tools: [{ type: "function", function: { name: "run_sql" } }] },
    });
  });

  test("a custom call in history is a function call of {input}; its tool message as it is", () => {
    const tool = { role: "tool", tool_call_id: "c1", content: "42" };
    const custom = customToolsAsFunctions({
      model: "m",
      messages: [
        user,
        {
          role: "assistant",
          content: null,
          tool_calls: [{ id: "c1", type: "custom", custom: { name: "run_sql", input: 'SELECT "a"' } }],
        },
        tool,
      ],
    });
    const messages = custom?.body.messages as JsonObject[];
    expect(messages[1]?.tool_calls).toEqual([
      { id: "c1", type: "function", function: { name: "run_sql", arguments: '{"input":"SELECT \\"a\\""}' } },
    ]);
    expect(messages[2]).toBe(tool);
    expect(custom?.names.size).toBe(0);
  });

  test("a custom tool, choice or call without custom.name is OpenAI's 400 naming it", () => {
    expect(refusal({ messages: [user], tools: [{ type: "custom", custom: {} }] })?.param).toBe(
      "tools[0].custom.name",
    );
    expect(refusal({ messages: [user], tools: [SQL], tool_choice: { type: "custom" } })?.param).toBe(
      "tool_choice.custom.name",
    );
    const call = { role: "assistant", tool_calls: [{ id: "c", type: "custom", custom: { input: "x" } }] };
    expect(refusal({ messages: [user, call] })?.param).toBe("messages[1].tool_calls[0].custom.name");
  });
});

describe("custom calls back (answer)", () => {
  test("a whole answer's call of a custom tool's function is a custom call; a function's stays", () => {
    const answer = customCallsBack(
      {
        choices: [
          {
            message: {
              tool_calls: [
                {
                  id: "a",
                  type: "function",
                  function: { name: "run_sql", arguments: '{"input":"SELECT 1"}' },
                },
                { id: "b", type: "function", function: { name: "get_weather", arguments: "{}" } },
              ],
            },
          },
        ],
      },
      new Set(["run_sql"]),
    );
    expect((answer.choices as JsonObject[])[0]?.message).toEqual({
      tool_calls: [
        { id: "a", type: "custom", custom: { name: "run_sql", input: "SELECT 1" } },
        { id: "b", type: "function", function: { name: "get_weather", arguments: "{}" } },
      ],
    });
  });

  test("streamed: the custom call opens with its name, its input in one piece when the next call opens or the choice finishes", () => {
    const writer = new CustomCallChunks(new Set(["run_sql"]));
    const calls = (tool_calls: JsonObject[], finish_reason: string | null = null): OpenAIChunk =>
      ({ id: "x", choices: [{ index: 0, delta: { tool_calls }, finish_reason }] }) as OpenAIChunk;
    const sent = (chunk: OpenAIChunk) =>
      writer.chunk(chunk).map((event) => JSON.parse(event.data).choices[0]);
    writer.start(calls([]));
    expect(sent(calls([{ index: 0, id: "a", function: { name: "run_sql", arguments: "" } }]))).toEqual([
      {
        index: 0,
        delta: {
          tool_calls: [{ index: 0, id: "a", type: "custom", custom: { name: "run_sql", input: "" } }],
        },
        finish_reason: null,
      },
    ]);
    expect(sent(calls([{ index: 0, function: { arguments: '{"input":' } }]))[0].delta).toEqual({});
    expect(sent(calls([{ index: 0, function: { arguments: '"SELECT 1"}' } }]))[0].delta).toEqual({});
    const next = { index: 1, id: "b", function: { name: "get_weather", arguments: "{}" } };
    expect(sent(calls([next]))[0].delta.tool_calls).toEqual([
      { index: 0, custom: { input: "SELECT 1" } },
      next,
    ]);
    expect(
      sent(calls([{ index: 2, id: "c", function: { name: "run_sql", arguments: '{"input":"x"}' } }]))[0].delta
        .tool_calls[0].type,
    ).toBe("custom");
    expect(writer.complete).toBe(false);
    expect(sent({ choices: [{ index: 0, delta: {}, finish_reason: "tool_calls" }] } as OpenAIChunk)).toEqual([
      {
        index: 0,
        delta: { tool_calls: [{ index: 2, custom: { input: "x" } }] },
        finish_reason: "tool_calls",
      },
    ]);
    expect(writer.complete).toBe(true);
  });

  test("streamed: a stream that ends without a finish reason closes the open call's input before [DONE]", () => {
    const writer = new CustomCallChunks(new Set(["run_sql"]));
    const first = {
      id: "x",
      model: "m",
      choices: [
        {
          index: 0,
          delta: {
            tool_calls: [{ index: 0, id: "a", function: { name: "run_sql", arguments: '{"input":"q"}' } }],
          },
        },
      ],
    } as OpenAIChunk;
    writer.start(first);
    writer.chunk(first);
    const end = Array.from(writer.finish()).map((event) => event.data);
    expect(end.at(-1)).toBe("[DONE]");
    expect(JSON.parse(end[0] ?? "{}")).toMatchObject({
      id: "x",
      model: "m",
      choices: [{ index: 0, delta: { tool_calls: [{ index: 0, custom: { input: "q" } }] } }],
    });
  });

  test("streamed: a custom call's arguments past routing.max_upstream_body end the stream with a 502", () => {
    const writer = new CustomCallChunks(new Set(["run_sql"]), 16);
    const piece = (index: number, fn: JsonObject) =>
      ({ choices: [{ index: 0, delta: { tool_calls: [{ index, ...fn }] } }] }) as OpenAIChunk;
    writer.chunk(piece(0, { id: "a", function: { name: "run_sql", arguments: '{"input":"' } }));
    expect(() => writer.chunk(piece(0, { function: { arguments: "SELECT * FROM" } }))).toThrow(
      "larger than 16 characters",
    );
  });
});
