import type { JsonObject } from "../../core/dialect.ts";
import { unsupportedOperation } from "../../core/gateway-error.ts";
import type { SseEvent } from "../../core/sse.ts";
import { embeddingsAnswer, readEmbeddingsAsk } from "../../translate/openai-embeddings.ts";
import type { Provider, ProviderCall, ProviderReply } from "../provider.ts";
import { lastUserText, mockAnswer, mockEmbedding, roughTokens } from "./mock-reply.ts";

/**
 * The built-in provider: answers from the prompt itself, with no network, so a newcomer
 * gets a reply before configuring any account. Speaks the OpenAI dialect; Anthropic callers
 * reach it through translation like any other OpenAI-shaped route.
 */
export function createMockProvider(name = "mock"): Provider {
  async function call(call: ProviderCall): Promise<ProviderReply> {
    const model = String(call.body.model);
    const created = Math.floor(Date.now() / 1000);
    const id = `mock-${call.requestId}`;
    if (call.operation === "embeddings") return { kind: "json", body: await embeddings(call.body, model) };
    if (call.operation !== "chat" && call.operation !== "completions") {
      throw unsupportedOperation(`the mock provider does not serve ${call.operation}`);
    }
    const words = mockAnswer(call.body);
    const text = words.join("");
    const usage = {
      prompt_tokens: roughTokens(lastUserText(call.body)),
      completion_tokens: roughTokens(text),
      total_tokens: roughTokens(lastUserText(call.body)) + roughTokens(text),
    };
    const chat = call.operation === "chat";
    if (!call.stream) {
      const choice = chat
        ? {
            index: 0,
            message: { role: "assistant", content: text, refusal: null },
            finish_reason: "stop",
            logprobs: null,
          }
        : { index: 0, text, finish_reason: "stop", logprobs: null };
      return {
        kind: "json",
        body: {
          id,
          object: chat ? "chat.completion" : "text_completion",
          created,
          model,
          choices: [choice],
          usage,
        },
      };
    }
    const object = chat ? "chat.completion.chunk" : "text_completion";
    const chunk = (choices: unknown[], extra: JsonObject = {}): SseEvent => ({
      data: JSON.stringify({ id, object, created, model, choices, ...extra }),
    });
    const delta = (content: string, first: boolean) =>
      chat ? { delta: first ? { role: "assistant", content } : { content } } : { text: content };
    const events: SseEvent[] = [
      ...words.map((w, i) =>
        chunk([{ index: 0, ...delta(w, i === 0), finish_reason: null, logprobs: null }]),
      ),
      chunk([{ index: 0, ...(chat ? { delta: {} } : { text: "" }), finish_reason: "stop", logprobs: null }]),
    ];
    const options = call.body.stream_options as { include_usage?: unknown } | undefined;
    if (options?.include_usage === true) events.push(chunk([], { usage }));
    events.push({ data: "[DONE]" });
    return { kind: "stream", events: replay(events, call.signal) };
  }

  return { name, dialect: "openai", call, listModels: async () => [] };
}

async function* replay(events: SseEvent[], signal: AbortSignal): AsyncGenerator<SseEvent> {
  for (const event of events) {
    if (signal.aborted) return;
    yield event;
  }
}

/** The longest vector the mock makes: as long as the longest real embedding models' (3072). */
const MOST_DIMENSIONS = 3072;

/** Embeddings made from each text, in the OpenAI answer the cloud providers' translations give. */
function embeddings(body: JsonObject, model: string): Promise<JsonObject> {
  const ask = readEmbeddingsAsk(body, "mock");
  const dimensions = Math.min(ask.dimensions ?? 8, MOST_DIMENSIONS);
  return embeddingsAnswer("mock", ask, model, {
    vectors: ask.texts.map((text) => mockEmbedding(text, dimensions)),
    inputTokens: ask.texts.reduce((n, text) => n + roughTokens(text), 0),
  });
}
