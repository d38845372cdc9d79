import { describe, expect, test } from "bun:test";
import { runInNetns, seen } from "./clients/run-in-netns.ts";

// The OpenAI Agents SDK 0.20.0 (`@openai/agents`, Responses API by default), unchanged but for
// the OpenAI client's base URL and key: a function tool, a hosted tool, reasoning and text
// settings, structured output. Run inside a network namespace with only loopback.

type Row = { frontDoor: string; status: number; dropped?: string };

describe("OpenAI Agents SDK through mindgw", () => {
  test("OpenAI-type upstream: function tool loop, settings carried, hosted tool dropped and named, structured output", async () => {
    const report = await runInNetns("agents.scenario.ts", { upstream: "openai" });
    expect(report.client).toMatchObject({ exitCode: 0 });
    expect(JSON.parse(report.client.stdout)).toEqual({ forecast: "echo: sunny in Paris for 3 days" });
    const [first, second] = seen(report);
    expect(first?.body).toMatchObject({
      reasoning_effort: "high",
      verbosity: "low",
      metadata: { team: "agents" },
      service_tier: "flex",
      prompt_cache_key: "forecasts",
      response_format: { type: "json_schema" },
    });
    const tools = first?.body.tools as { function: { name: string } }[];
    expect(tools.map((tool) => tool.function.name)).toEqual(["get_weather"]);
    const history = second?.body.messages as { role: string; content: unknown }[];
    expect(history.at(-1)).toMatchObject({ role: "tool", content: "sunny in Paris for 3 days" });
    const rows = (report.audit as Row[]).filter((row) => row.frontDoor === "responses");
    expect(rows.map((row) => [row.status, row.dropped])).toEqual([
      [200, "tools.web_search"],
      [200, "tools.web_search"],
    ]);
  });

  test("over the Responses WebSocket transport: the same agent, a row for each upgrade and one a turn", async () => {
    const report = await runInNetns("agents.scenario.ts", { upstream: "openai", transport: "websocket" });
    expect(report.client).toMatchObject({ exitCode: 0 });
    expect(JSON.parse(report.client.stdout)).toEqual({ forecast: "echo: sunny in Paris for 3 days" });
    const [first, second] = seen(report);
    expect(first?.body).toMatchObject({ reasoning_effort: "high", metadata: { team: "agents" } });
    const history = second?.body.messages as { role: string; content: unknown }[];
    expect(history.at(-1)).toMatchObject({ role: "tool", content: "sunny in Paris for 3 days" });
    const rows = report.audit as Row[];
    // The SDK opens a connection for each model call unless its provider is told to keep them
    // (`cacheResponsesWebSocketModels`): each upgrade a 101 row, each turn a row of its own.
    const sockets = rows.filter((row) => row.frontDoor === "responses_socket");
    expect(sockets.length).toBeGreaterThanOrEqual(1);
    expect(sockets.every((row) => row.status === 101)).toBe(true);
    expect(rows.filter((row) => row.frontDoor === "responses").map((row) => row.status)).toEqual([200, 200]);
  });

  test("Anthropic-type upstream: the same agent, Responses → chat → Messages", async () => {
    const report = await runInNetns("agents.scenario.ts", { upstream: "anthropic" });
    expect(report.client).toMatchObject({ exitCode: 0 });
    expect(JSON.parse(report.client.stdout)).toEqual({ forecast: "echo: sunny in Paris for 3 days" });
    const [first] = seen(report);
    expect(first?.path).toBe("/v1/messages");
    expect(first?.body.output_config).toMatchObject({ effort: "high", format: { type: "json_schema" } });
  });
});
