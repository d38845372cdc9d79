import { expect, test } from "bun:test";
import type { ProviderConfig } from "../config/config-schema.ts";
import { isJsonObject, type JsonObject } from "../core/dialect.ts";
import { createProvider } from "../providers/create-provider.ts";
import { chatRequest, type FakeProvider, routerFor } from "./router-test-kit.ts";

// An Anthropic caller's stop sequences on a chat route: OpenAI's chat API, and Azure's, take 4
// (400 "'stop': array too long"), Gemini's 5 ("stopSequences: up to 5"); a vLLM or llama.cpp
// server takes more, and gets them all.

const OPENAI_ANSWER = {
  id: "c",
  object: "chat.completion",
  model: "up",
  choices: [{ index: 0, message: { role: "assistant", content: "ok" }, finish_reason: "stop" }],
  usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
};

const GEMINI_ANSWER = {
  candidates: [{ content: { role: "model", parts: [{ text: "ok" }] }, finishReason: "STOP" }],
  usageMetadata: { promptTokenCount: 1, candidatesTokenCount: 1, totalTokenCount: 2 },
};

/** The real provider of `config`, its `fetch` keeping each body sent and answering as its vendor does. */
function upstream(config: Record<string, unknown>, sent: JsonObject[]): FakeProvider {
  const answer = config.type === "gemini" ? GEMINI_ANSWER : OPENAI_ANSWER;
  const send = async (_url: unknown, init?: RequestInit) => {
    sent.push(JSON.parse(String(init?.body)));
    return Response.json(answer);
  };
  const fetch = Object.assign(send, { preconnect: () => {} }) as typeof globalThis.fetch;
  const provider = createProvider({ name: "p", ...config } as ProviderConfig, { maxSseLine: 1 << 20, fetch });
  return { ...provider, calls: [] };
}

const SIX = ["A", "B", "C", "D", "E", "F"];

test.each([
  [{ type: "openai", api_key: "k" }, SIX.slice(0, 4), ["stop_sequences (past 4)"]],
  [
    { type: "openai", base_url: "https://api.openai.com/v1", api_key: "k" },
    SIX.slice(0, 4),
    ["stop_sequences (past 4)"],
  ],
  // OpenAI's regional hosts (data residency) are OpenAI's API too.
  [
    { type: "openai", base_url: "https://eu.api.openai.com/v1", api_key: "k" },
    SIX.slice(0, 4),
    ["stop_sequences (past 4)"],
  ],
  [
    { type: "azure", base_url: "https://x.openai.azure.com", api_version: "v1", api_key: "k" },
    SIX.slice(0, 4),
    ["stop_sequences (past 4)"],
  ],
  [{ type: "gemini", api_key: "k" }, SIX.slice(0, 5), ["stop_sequences (past 5)"]],
  [{ type: "openai", preset: "vllm" }, SIX, []],
  [{ type: "openai", base_url: "http://127.0.0.1:8080/v1" }, SIX, []],
])("a Messages call's six stop sequences on %o: %o sent, %o named", async (config, stop, dropped) => {
  const sent: JsonObject[] = [];
  const provider = upstream(config, sent);
  const { router } = routerFor(
    {
      providers: [{ name: "p", ...config }],
      models: [{ name: "m", routes: [{ provider: "p", model: "up" }] }],
      routing: { retries: 0 },
    },
    [provider],
  );
  const body = {
    model: "m",
    max_tokens: 10,
    stop_sequences: SIX,
    messages: [{ role: "user", content: "hi" }],
  };
  const dispatched = await router(chatRequest("m", { operation: "messages", body }));
  const stops = (body: JsonObject) =>
    config.type === "gemini" && isJsonObject(body.generationConfig)
      ? body.generationConfig.stopSequences
      : body.stop;
  expect(sent.map(stops)).toEqual([stop]);
  expect(dispatched.dropped).toEqual(dropped);
});
