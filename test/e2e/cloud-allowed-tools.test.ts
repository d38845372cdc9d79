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
