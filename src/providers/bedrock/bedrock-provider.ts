import { isJsonObject } from "../../core/dialect.ts";
import { unsupportedOperation } from "../../core/gateway-error.ts";
import { wantsUsage } from "../../translate/chat-chunk-builder.ts";
import { embeddingsAnswer, readEmbeddingsAsk, tokenCappedCall } from "../../translate/openai-embeddings.ts";
import {
  CONVERSE_TARGET,
  chatRequestToConverse,
} from "../../translate/openai-to-bedrock/chat-request-to-converse.ts";
import { converseResponseToChat } from "../../translate/openai-to-bedrock/converse-response-to-chat.ts";
import {
  ConverseChunkWriter,
  readConverseEvent,
} from "../../translate/openai-to-bedrock/converse-stream-to-chat.ts";
import { converseBilledUsage } from "../../translate/openai-to-bedrock/converse-usage.ts";
import {
  chatRequestToCountTokens,
  countTokensToMessages,
} from "../../translate/openai-to-bedrock/count-tokens-to-converse.ts";
import {
  BEDROCK_EMBEDDING_FAMILIES,
  type BedrockEmbedder,
  bedrockEmbedder,
} from "../../translate/openai-to-bedrock/embeddings-to-invoke.ts";
import type { FinishWarning } from "../finish-warning.ts";
import { countOrEstimate } from "../http/count-or-estimate.ts";
import { embedInCalls } from "../http/embed-in-calls.ts";
import { translatedReply } from "../http/translated-reply.ts";
import type { Provider, ProviderCall, ProviderReply } from "../provider.ts";
import { upstreamName } from "../upstream-name.ts";
import { type BedrockOptions, bedrockCalls } from "./bedrock-call.ts";
import { BedrockEvents } from "./event-stream.ts";

/** Where Bedrock puts the input tokens of an `InvokeModel` call whose body does not count them. */
const INPUT_TOKEN_COUNT = "x-amzn-bedrock-input-token-count";

/**
 * AWS Bedrock through the Converse API: one request shape for every model family on Bedrock
 * (Anthropic's included), signed with SigV4; embeddings through `InvokeModel`. Speaks the OpenAI
 * dialect to the router; the translation lives in src/translate/openai-to-bedrock.
 */
export function createBedrockProvider(options: BedrockOptions & FinishWarning): Provider {
  const { send, readJson } = bedrockCalls(options);

  async function chat(call: ProviderCall): Promise<ProviderReply> {
    const model = String(call.body.model);
    const body = JSON.stringify(chatRequestToConverse(call.body));
    const response = await send(call, model, call.stream ? "converse-stream" : "converse", body);
    const id = `chatcmpl-${call.requestId}`;
    const named = call.askedModel ?? model;
    if (call.stream && response.body) {
      const upstream = new BedrockEvents(options.name, response.body.getReader(), call, "converse");
      return translatedReply(
        upstream,
        readConverseEvent,
        new ConverseChunkWriter(id, named, wantsUsage(call.body), options.unknownFinish),
        call.meter,
      );
    }
    const answer = await readJson(call, response);
    const chat = converseResponseToChat(answer, named, id, undefined, options.unknownFinish);
    // Billed as Bedrock said it: its hour-long cache writes, which the chat usage cannot say.
    const usage = isJsonObject(answer.usage) ? converseBilledUsage(answer.usage) : undefined;
    return { kind: "json", body: chat, ...(usage ? { usage } : {}) };
  }

  /**
   * The family that embeds with `model`. A model of none is `unsupported_operation`, said when the
   * call is adapted (`embeddingsTarget`): the route is passed over before any attempt.
   */
  function embedderOf(model: string): BedrockEmbedder {
    const embedder = bedrockEmbedder(model);
    if (!embedder)
      throw unsupportedOperation(
        `${upstreamName(options.name)} embeds only with ${BEDROCK_EMBEDDING_FAMILIES} models, not ${model}`,
      );
    return embedder;
  }

  /** Embeddings through `InvokeModel`, in the model family's own body (Titan, Cohere). */
  async function embeddings(call: ProviderCall): Promise<ProviderReply> {
    const model = String(call.body.model);
    const embedder = embedderOf(model);
    const ask = call.embeddingsAsk ?? readEmbeddingsAsk(call.body, options.name);
    const cap =
      embedder.tokensPerCall === undefined
        ? embedder.perCall
        : await tokenCappedCall(embedder.perCall, embedder.tokensPerCall);
    const embedded = await embedInCalls(ask.texts, cap, call.signal, async (texts, signal) => {
      const one = { ...call, signal };
      const response = await send(one, model, "invoke", JSON.stringify(embedder.request(texts, ask)));
      return embedder.answer(await readJson(one, response), response.headers.get(INPUT_TOKEN_COUNT));
    });
    return {
      kind: "json",
      body: await embeddingsAnswer(options.name, ask, call.askedModel ?? model, embedded),
    };
  }

  /** count_tokens through Bedrock's CountTokens, for the models it counts (the estimate for the rest). */
  function countTokens(call: ProviderCall): Promise<ProviderReply> {
    const model = String(call.body.model);
    return countOrEstimate(options.name, model, call.signal, async () => {
      const body = JSON.stringify(chatRequestToCountTokens(call.body));
      return countTokensToMessages(await readJson(call, await send(call, model, "count-tokens", body)));
    });
  }

  async function call(call: ProviderCall): Promise<ProviderReply> {
    if (call.operation === "chat") return chat(call);
    if (call.operation === "embeddings") return embeddings(call);
    if (call.operation === "count_tokens") return countTokens(call);
    throw unsupportedOperation(`${upstreamName(options.name)} does not serve ${call.operation}`);
  }

  return {
    name: options.name,
    dialect: "openai",
    // Converse names no model in its answer: the trace's is the route's (its modelId).
    writesAnswers: true,
    vendor: "aws.bedrock",
    countsTokens: true,
    chatTarget: CONVERSE_TARGET,
    embeddingsTarget: { carries: (model) => embedderOf(model).carries },
    call,
  };
}
