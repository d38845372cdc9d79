import {
  Agent,
  run,
  setDefaultOpenAIClient,
  setOpenAIResponsesTransport,
  setTracingDisabled,
  tool,
  webSearchTool,
} from "@openai/agents";
import OpenAI from "openai";
import { z } from "zod";
import { inLoopbackWorld, scenarioOptions, type UpstreamKind } from "./loopback-world.ts";

/**
 * The OpenAI Agents SDK (`@openai/agents`), unchanged but for the OpenAI client's base URL and
 * key: a function tool, a hosted tool, reasoning and text settings, structured output.
 */
interface Options {
  upstream: UpstreamKind;
  /** The Responses transport: HTTP (the SDK's default) or its WebSocket mode. */
  transport?: "http" | "websocket";
}

const options = scenarioOptions<Options>();

await inLoopbackWorld(options.upstream, ["agent-model"], async ({ gw, key }) => {
  setTracingDisabled(true);
  setOpenAIResponsesTransport(options.transport ?? "http");
  setDefaultOpenAIClient(new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: key, maxRetries: 0 }));
  const weather = tool({
    name: "get_weather",
    description: "The weather forecast for a city",
    parameters: z.object({ city: z.string(), days: z.number().int() }),
    execute: async ({ city, days }) => `sunny in ${city} for ${days} days`,
  });
  const agent = new Agent({
    name: "forecaster",
    instructions: "Answer with the forecast.",
    model: "agent-model",
    tools: [weather, webSearchTool()],
    outputType: z.object({ forecast: z.string().min(1) }),
    modelSettings: {
      reasoning: { effort: "high" },
      text: { verbosity: "low" },
      providerData: { metadata: { team: "agents" }, service_tier: "flex", prompt_cache_key: "forecasts" },
    },
  });
  try {
    const result = await run(agent, "What is the weather in Paris?");
    // The last response as the gateway stored it: its metadata is kept there, not sent to chat.
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: key, maxRetries: 0 });
    const stored = result.lastResponseId
      ? await client.responses.retrieve(result.lastResponseId).catch(() => undefined)
      : undefined;
    const files = { "stored-metadata": JSON.stringify(stored?.metadata ?? null) };
    return { exitCode: 0, stdout: JSON.stringify(result.finalOutput), stderr: "", files };
  } catch (error) {
    return {
      exitCode: 1,
      stdout: "",
      stderr: String(error instanceof Error ? (error.stack ?? error.message) : error),
    };
  }
});
