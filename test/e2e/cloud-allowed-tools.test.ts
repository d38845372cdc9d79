import { beforeAll, describe, expect, test } from "bun:test";
import type OpenAI from "openai";
import { cloudGateway, WEATHER } from "./harness/cloud-gateway.ts";

// A chat caller's `tool_choice: {type: "allowed_tools"}` (OpenAI's, its SDK's
// ChatCompletionAllowedToolChoice) on each translated route: the vendor is offered only the tools
// it allows, and asked as its mode says; an OpenAI-shaped upstream is sent it as the caller wrote it.

const clouds = cloudGateway();
let openai: OpenAI;
beforeAll(() => {
  ({ openai } = clouds);
});
const { callsTo } = clouds;
const lastTo = (pattern: RegExp) => JSON.parse(callsTo(pattern).at(-1)?.body ?? "{}");

const TIME = {
  type: "function" as const,
  function: { name: "get_time", description: "The time in a city", parameters: { type: "object" } },
};

/** Only `get_weather` of the two tools declared, as the mode says. */
const allowWeather = (mode: "auto" | "required"): OpenAI.ChatCompletionAllowedToolChoice => ({
  type: "allowed_tools",
  allowed_tools: { mode, tools: [{ type: "function", function: { name: "get_weather" } }] },
});

async function ask(model: string, mode: "auto" | "required") {
  const { response } = await openai.chat.completions
    .create({
      model,
      messages: [{ role: "user", content: "Weather in Paris?" }],
      tools: [WEATHER, TIME],
      tool_choice: allowWeather(mode),
    })
    .withResponse();
  return response;
}

describe("chat's allowed_tools tool choice on translated routes", () => {
  test("Gemini: only the allowed functions declared; required is mode ANY, auto Gemini's default", async () => {
    const required = await ask("gemini-flash", "required");
    expect(required.status).toBe(200);
    expect(required.headers.get("x-mindgw-dropped")).toBeNull();
    let sent = lastTo(/gemini-2\.5-flash:generateContent$/);
    expect(sent.tools[0].functionDeclarations.map((fn: { name: string }) => fn.name)).toEqual([
      "get_weather",
    ]);
    expect(sent.toolConfig).toEqual({ functionCallingConfig: { mode: "ANY" } });

    expect((await ask("gemini-flash", "auto")).status).toBe(200);
    sent = lastTo(/gemini-2\.5-flash:generateContent$/);
    expect(sent.tools[0].functionDeclarations.map((fn: { name: string }) => fn.name)).toEqual([
      "get_weather",
    ]);
    expect(sent.toolConfig).toBeUndefined();
  });

  test("Claude (Vertex AI's, the Messages API): only the allowed tools; required is tool_choice any", async () => {
    const response = await ask("claude-vertex", "required");
    expect(response.status).toBe(200);
    expect(response.headers.get("x-mindgw-dropped")).toBeNull();
    const sent = lastTo(/claude-sonnet-4-5%4020250929:rawPredict$/);
    expect(sent.tools.map((tool: { name: string }) => tool.name)).toEqual(["get_weather"]);
    expect(sent.tool_choice).toEqual({ type: "any" });
  });

  test("Bedrock Converse: only the allowed tools; auto is toolChoice auto", async () => {
    const response = await ask("nova", "auto");
    expect(response.status).toBe(200);
    expect(response.headers.get("x-mindgw-dropped")).toBeNull();
    const sent = lastTo(/\/converse$/);
    expect(sent.toolConfig.tools.map((tool: { toolSpec: { name: string } }) => tool.toolSpec.name)).toEqual([
      "get_weather",
    ]);
    expect(sent.toolConfig.toolChoice).toEqual({ auto: {} });
  });

  test("a choice allowing none of the tools goes without them, their choice and parallel_tool_calls, nothing named", async () => {
    const { response } = await openai.chat.completions
      .create({
        model: "gemini-flash",
        messages: [{ role: "user", content: "Weather in Paris?" }],
        tools: [WEATHER, TIME],
        // As the OpenAI Agents SDK sends it beside its tools.
        parallel_tool_calls: true,
        tool_choice: { type: "allowed_tools", allowed_tools: { mode: "auto", tools: [] } },
      })
      .withResponse();
    expect(response.status).toBe(200);
    expect(response.headers.get("x-mindgw-dropped")).toBeNull();
    const sent = lastTo(/gemini-2\.5-flash:generateContent$/);
    expect([sent.tools, sent.toolConfig]).toEqual([undefined, undefined]);
  });

  test("an OpenAI-shaped upstream (Azure OpenAI) is sent the choice and every tool as the caller wrote them", async () => {
    const response = await ask("azure-4o", "required");
    expect(response.status).toBe(200);
    const sent = lastTo(/\/chat\/completions$/);
    expect(sent.tool_choice).toEqual(allowWeather("required"));
    expect(sent.tools.map((tool: typeof WEATHER) => tool.function.name)).toEqual(["get_weather", "get_time"]);
  });
});

// A chat caller's custom tools (ChatCompletionCustomTool: free text in, no JSON schema) and the
// named custom choice on each translated route: offered as a function with one string argument
// (as a Responses caller's custom tool is), the call given back as a custom tool call, whole and
// streamed (the SDK's ChatCompletionMessageCustomToolCall), and sent back in history as a call.
const RUN_SQL: OpenAI.ChatCompletionCustomTool = {
  type: "custom",
  custom: { name: "run_sql", description: "Runs one SQL query", format: { type: "text" } },
};
const CHOOSE_SQL: OpenAI.ChatCompletionNamedToolChoiceCustom = {
  type: "custom",
  custom: { name: "run_sql" },
};
const INPUT_PARAMETERS = {
  type: "object",
  properties: { input: { type: "string", description: "The tool's whole input, as raw text." } },
  required: ["input"],
  additionalProperties: false,
};

describe("chat's custom tools on translated routes", () => {
  test("Claude (Vertex AI's): a function with one input; the forced call comes back a custom call, whole and streamed", async () => {
    const request = {
      model: "claude-vertex",
      messages: [{ role: "user" as const, content: "Count the users" }],
      tools: [RUN_SQL],
      tool_choice: CHOOSE_SQL,
    };
    const whole = await openai.chat.completions.create(request);
    const sent = lastTo(/claude-sonnet-4-5%4020250929:rawPredict$/);
    expect(sent.tools).toEqual([
      {
        name: "run_sql",
        description: "Runs one SQL query\n\nThe input is free text, passed to the tool as is.",
        input_schema: INPUT_PARAMETERS,
      },
    ]);
    expect(sent.tool_choice).toEqual({ type: "tool", name: "run_sql" });
    const call = whole.choices[0]?.message.tool_calls?.[0];
    expect(call?.type).toBe("custom");
    expect(call?.type === "custom" ? call.custom : undefined).toEqual({
      name: "run_sql",
      input: "echo: Count the users",
    });
    expect(whole.choices[0]?.finish_reason).toBe("tool_calls");

    const streamed = await openai.chat.completions.stream(request).finalChatCompletion();
    const streamedCall = streamed.choices[0]?.message.tool_calls?.[0];
    expect(streamedCall?.type).toBe("custom");
    expect(streamedCall?.type === "custom" ? streamedCall.custom : undefined).toEqual({
      name: "run_sql",
      input: "echo: Count the users",
    });
    expect(streamedCall?.id).toMatch(/^toolu_/);
  });

  test("Claude: a custom call sent back in history is a tool_use of its input, its output the tool_result", async () => {
    const response = await openai.chat.completions.create({
      model: "claude-vertex",
      messages: [
        { role: "user", content: "Count the users" },
        {
          role: "assistant",
          content: null,
          tool_calls: [
            {
              id: "toolu_1",
              type: "custom",
              custom: { name: "run_sql", input: "SELECT count(*) FROM users" },
            },
          ],
        },
        { role: "tool", tool_call_id: "toolu_1", content: "42" },
      ],
      tools: [RUN_SQL],
    });
    expect(response.choices[0]?.finish_reason).toBe("stop");
    const sent = lastTo(/claude-sonnet-4-5%4020250929:rawPredict$/);
    expect(sent.messages[1].content).toEqual([
      { type: "tool_use", id: "toolu_1", name: "run_sql", input: { input: "SELECT count(*) FROM users" } },
    ]);
    expect(sent.messages[2].content[0]).toMatchObject({ type: "tool_result", tool_use_id: "toolu_1" });
  });

  test("Gemini and Bedrock Converse: declared as a function of one input; the call comes back a custom call", async () => {
    for (const [model, calls] of [
      ["gemini-flash", /gemini-2\.5-flash:(generateContent|streamGenerateContent)/],
      ["nova", /\/converse(-stream)?$/],
    ] as const) {
      const request = {
        model,
        messages: [{ role: "user" as const, content: "Use a tool to count the users" }],
        tools: [RUN_SQL],
      };
      const whole = await openai.chat.completions.create(request);
      const sent = lastTo(calls);
      const declared =
        model === "nova" ? sent.toolConfig.tools[0].toolSpec : sent.tools[0].functionDeclarations[0];
      expect(declared.name).toBe("run_sql");
      expect(JSON.stringify(declared)).toContain('"input"');
      // The fake calls the first tool with its fixed `{"city": "Paris"}`, not the `{"input"}` asked:
      // text that is no call of the one argument is the input as the model wrote it.
      const call = whole.choices[0]?.message.tool_calls?.[0];
      expect(call?.type === "custom" ? call.custom : call).toEqual({
        name: "run_sql",
        input: '{"city":"Paris"}',
      });
      const streamed = await openai.chat.completions.stream(request).finalChatCompletion();
      const streamedCall = streamed.choices[0]?.message.tool_calls?.[0];
      expect(streamedCall?.type === "custom" ? streamedCall.custom : streamedCall).toEqual({
        name: "run_sql",
        input: '{"city":"Paris"}',
      });
    }
  });
});
