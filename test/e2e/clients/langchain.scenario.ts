import { ChatAnthropic } from "@langchain/anthropic";
import { tool } from "@langchain/core/tools";
import { ChatOpenAI } from "@langchain/openai";
import { z } from "zod";
import { inLoopbackWorld, scenarioOptions, type UpstreamKind } from "./loopback-world.ts";

/**
 * LangChain.js, unchanged but for base URL and key: ChatOpenAI (chat completions and the
 * Responses API) and ChatAnthropic, each with plain calls, streaming, tools and structured output.
 */
const options = scenarioOptions<{ upstream: UpstreamKind }>();

const weather = tool(async ({ city }) => `sunny in ${city}`, {
  name: "get_weather",
  description: "The weather in a city",
  schema: z.object({ city: z.string(), days: z.number() }),
});
const Forecast = z.object({ forecast: z.string() });

await inLoopbackWorld(options.upstream, ["lc-model"], async ({ gw, key }) => {
  const base = { model: "lc-model", apiKey: key, maxRetries: 0 };
  const models = {
    chat: new ChatOpenAI({ ...base, configuration: { baseURL: `${gw.url}/v1` } }),
    responses: new ChatOpenAI({ ...base, useResponsesApi: true, configuration: { baseURL: `${gw.url}/v1` } }),
    anthropic: new ChatAnthropic({ ...base, anthropicApiUrl: gw.url, maxTokens: 100 }),
  };
  const out: Record<string, unknown> = {};
  try {
    for (const [name, model] of Object.entries(models)) {
      out[`${name}.invoke`] = (await model.invoke("hello there")).text;
      let streamed = "";
      for await (const chunk of await model.stream("stream this please")) {
        streamed += chunk.text;
      }
      out[`${name}.stream`] = streamed;
      const called = await model.bindTools([weather]).invoke("weather in Paris?");
      out[`${name}.tools`] = called.tool_calls?.map((call) => ({ name: call.name, args: call.args }));
      out[`${name}.structured`] = await model.withStructuredOutput(Forecast).invoke("forecast please");
    }
    return { exitCode: 0, stdout: JSON.stringify(out), stderr: "" };
  } catch (error) {
    const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
    return { exitCode: 1, stdout: JSON.stringify(out), stderr: text };
  }
});
