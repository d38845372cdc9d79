import { createAnthropic } from "@ai-sdk/anthropic";
import { createOpenAI } from "@ai-sdk/openai";
import { generateText, type LanguageModel, type ModelMessage, Output, streamText, tool } from "ai";
import { z } from "zod";
import { inLoopbackWorld, scenarioOptions, type UpstreamKind } from "./loopback-world.ts";

/**
 * The Vercel AI SDK, unchanged but for base URL and key: its OpenAI provider on the Responses API
 * (its default) and on chat completions, and its Anthropic provider, each with a plain call, a
 * stream, a tool call, structured output and a second turn sent with the first's messages.
 */
const options = scenarioOptions<{ upstream: UpstreamKind }>();

const weather = tool({
  description: "The weather in a city",
  inputSchema: z.object({ city: z.string(), days: z.number().int() }),
});
const clock = tool({
  description: "The time in a city",
  inputSchema: z.object({ city: z.string(), days: z.number().int() }),
});
const Forecast = z.object({ forecast: z.string().min(1) });

await inLoopbackWorld(options.upstream, ["ai-model"], async ({ gw, key }) => {
  const openai = createOpenAI({ baseURL: `${gw.url}/v1`, apiKey: key });
  // Anthropic's provider takes the API root with its `/v1`.
  const anthropic = createAnthropic({ baseURL: `${gw.url}/v1`, apiKey: key });
  const models: Record<string, LanguageModel> = {
    responses: openai("ai-model"),
    chat: openai.chat("ai-model"),
    anthropic: anthropic("ai-model"),
  };
  const out: Record<string, unknown> = {};
  try {
    for (const [name, model] of Object.entries(models)) {
      const base = { model, maxRetries: 0 };
      out[`${name}.text`] = (await generateText({ ...base, prompt: "hello there" })).text;
      let streamed = "";
      for await (const piece of streamText({ ...base, prompt: "stream this please" }).textStream) {
        streamed += piece;
      }
      out[`${name}.stream`] = streamed;
      const called = await generateText({
        ...base,
        prompt: "weather in Paris?",
        tools: { get_weather: weather },
      });
      out[`${name}.tools`] = called.toolCalls.map((call) => ({ name: call.toolName, input: call.input }));
      if (options.upstream === "openai") {
        // Parallel calls whose argument fragments the chat upstream interleaves: the SDK takes a
        // call as whole at its block's (or item's) end, so every fragment must come before it.
        const parallel = streamText({
          ...base,
          prompt: "weather and time [[fake:interleave]]",
          tools: { get_weather: weather, get_time: clock },
        });
        const calls = await parallel.toolCalls;
        out[`${name}.parallel`] = calls.map((call) => ({ name: call.toolName, input: call.input }));
      }
      const structured = await generateText({
        ...base,
        prompt: "forecast please",
        output: Output.object({ schema: Forecast }),
      });
      out[`${name}.structured`] = structured.output;
      // A second turn sent with the first one's `response.messages`, as the SDK's docs show: its
      // Responses provider (`store` on by default) sends the earlier answer back as an
      // `item_reference`, which the gateway must find in its own store.
      const history: ModelMessage[] = [{ role: "user", content: `${name}: my name is Zed` }];
      const first = await generateText({ ...base, messages: history });
      const again = [...history, ...first.response.messages, { role: "user" as const, content: "and now?" }];
      out[`${name}.multiturn`] = (await generateText({ ...base, messages: again })).text;
    }
    return { exitCode: 0, stdout: JSON.stringify(out), stderr: "" };
  } catch (error) {
    const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
    return { exitCode: 1, stdout: JSON.stringify(out), stderr: text };
  }
});
