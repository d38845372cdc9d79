import { ChatAnthropic } from "@langchain/anthropic";
import type { UsageMetadata } from "@langchain/core/messages";
import { tool } from "@langchain/core/tools";
import { ChatOpenAI, OpenAIEmbeddings } from "@langchain/openai";
import { z } from "zod";
import {
  type ClientRun,
  inLoopbackWorld,
  scenarioOptions,
  type UpstreamKind,
  type World,
} from "./loopback-world.ts";

/**
 * LangChain.js, unchanged but for base URL and key: ChatOpenAI (chat completions and the
 * Responses API) and ChatAnthropic, each with plain calls, streaming, tools and structured output;
 * on an OpenAI-type upstream, OpenAIEmbeddings too, as a RAG ingestion job calls it.
 */
const options = scenarioOptions<{ upstream: UpstreamKind }>();

const weather = tool(async ({ city }) => `sunny in ${city}`, {
  name: "get_weather",
  description: "The weather in a city",
  schema: z.object({ city: z.string(), days: z.number().int() }),
});
const Forecast = z.object({ forecast: z.string().min(1) });

const mergeUsage = (a: UsageMetadata | undefined, b: UsageMetadata): UsageMetadata => ({
  input_tokens: (a?.input_tokens ?? 0) + b.input_tokens,
  output_tokens: (a?.output_tokens ?? 0) + b.output_tokens,
  total_tokens: (a?.total_tokens ?? 0) + b.total_tokens,
});

/**
 * An embedding model's window on every route (OpenAI's text-embedding-3-*): a hundred chunks of
 * ~1,000 characters are ~25,000 tokens together, ~250 each, and each input is held to it alone.
 */
const EMBEDDING_WINDOW = { context_window: 8192 };

async function scenario({ gw, key }: World): Promise<ClientRun> {
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
      let usage: UsageMetadata | undefined;
      for await (const chunk of await model.stream("stream this please")) {
        streamed += chunk.text;
        // Summed over the chunks, as LangChain's own concat of them does.
        if (chunk.usage_metadata) usage = mergeUsage(usage, chunk.usage_metadata);
      }
      out[`${name}.stream`] = streamed;
      out[`${name}.streamUsage`] = usage;
      const called = await model.bindTools([weather]).invoke("weather in Paris?");
      out[`${name}.tools`] = called.tool_calls?.map((call) => ({ name: call.name, args: call.args }));
      out[`${name}.structured`] = await model.withStructuredOutput(Forecast).invoke("forecast please");
    }
    if (options.upstream === "openai") {
      const embeddings = new OpenAIEmbeddings({ ...base, configuration: { baseURL: `${gw.url}/v1` } });
      const chunks = Array.from(
        { length: 100 },
        (_, i) => `chunk ${i}: ${"the quick brown fox. ".repeat(48)}`,
      );
      out["embeddings.documents"] = (await embeddings.embedDocuments(chunks)).length;
    }
    return { exitCode: 0, stdout: JSON.stringify(out), stderr: "" };
  } catch (error) {
    const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
    return { exitCode: 1, stdout: JSON.stringify(out), stderr: text };
  }
}

await inLoopbackWorld(options.upstream, ["lc-model"], scenario, EMBEDDING_WINDOW);
