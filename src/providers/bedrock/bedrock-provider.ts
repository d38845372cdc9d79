import { isJsonObject, type JsonObject } from "../../core/dialect.ts";
import { unsupportedOperation, upstreamError } from "../../core/gateway-error.ts";
import { TRACEPARENT } from "../../core/traceparent.ts";
import { TRACESTATE } from "../../core/tracestate.ts";
import { wantsUsage } from "../../translate/chat-chunk-builder.ts";
import { embeddingsAnswer, readEmbeddingsAsk } from "../../translate/openai-embeddings.ts";
import { chatRequestToConverse } from "../../translate/openai-to-bedrock/chat-request-to-converse.ts";
import { converseResponseToChat } from "../../translate/openai-to-bedrock/converse-response-to-chat.ts";
import {
  ConverseChunkWriter,
  readConverseEvent,
} from "../../translate/openai-to-bedrock/converse-stream-to-chat.ts";
import {
  chatRequestToCountTokens,
  countTokensToMessages,
} from "../../translate/openai-to-bedrock/count-tokens-to-converse.ts";
import {
  BEDROCK_EMBEDDING_FAMILIES,
  bedrockEmbedder,
} from "../../translate/openai-to-bedrock/embeddings-to-invoke.ts";
import { countOrEstimate } from "../http/count-or-estimate.ts";
import { embedInCalls } from "../http/embed-in-calls.ts";
import { DEFAULT_MAX_UPSTREAM_BODY, readBounded, readErrorText } from "../http/read-bounded.ts";
import { translatedReply } from "../http/translated-reply.ts";
import { unreachable } from "../http/upstream-failure.ts";
import type { Provider, ProviderCall, ProviderReply } from "../provider.ts";
import { type AwsCredentialConfig, awsCredentialSource } from "./aws-credentials.ts";
import { bedrockErrorMessage, bedrockFailure } from "./bedrock-errors.ts";
import { ConverseEvents } from "./event-stream.ts";

export interface BedrockOptions {
  name: string;
  region: string;
  /** Defaults to `https://bedrock-runtime.{region}.amazonaws.com` (or `AWS_ENDPOINT_URL_BEDROCK_RUNTIME`). */
  baseUrl?: string;
  credentials: AwsCredentialConfig;
  headers?: Record<string, string>;
  env?: Record<string, string | undefined>;
  fetch?: typeof fetch;
}

/** Where Bedrock puts the input tokens of an `InvokeModel` call whose body does not count them. */
const INPUT_TOKEN_COUNT = "x-amzn-bedrock-input-token-count";

/**
 * AWS Bedrock through the Converse API: one request shape for every model family on Bedrock
 * (Anthropic's included), signed with SigV4; embeddings through `InvokeModel`. Speaks the OpenAI
 * dialect to the router; the translation lives in src/translate/openai-to-bedrock.
 */
export function createBedrockProvider(options: BedrockOptions): Provider {
  const env = options.env ?? process.env;
  const base = (
    options.baseUrl ??
    env.AWS_ENDPOINT_URL_BEDROCK_RUNTIME ??
    `https://bedrock-runtime.${options.region}.amazonaws.com`
  ).replace(/\/+$/, "");
  const doFetch = options.fetch ?? fetch;
  const credentials = awsCredentialSource({
    provider: options.name,
    region: options.region,
    config: options.credentials,
    env,
    fetch: doFetch,
  });

  /** POSTs `body` to `model`'s `action`, signed, under `call`'s signal; an error status throws Bedrock's failure. */
  async function send(call: ProviderCall, model: string, action: string, body: string): Promise<Response> {
    const url = `${base}/model/${encodeURIComponent(model)}/${action}`;
    // Loaded on the first Bedrock call, not at start (docs/BENCHMARKS-HISTORY.md, idle RSS).
    const { AwsV4Signer } = require("aws4fetch") as typeof import("aws4fetch");
    const signer = new AwsV4Signer({
      ...(await credentials.get()),
      url,
      method: "POST",
      headers: { "content-type": "application/json", ...options.headers },
      body,
      service: "bedrock",
      region: options.region,
    });
    const signed = await signer.sign();
    const headers = signed.headers;
    // Added after signing, as every provider sends them (post-json.ts): left out of the signature,
    // so a hop that rewrites the trace context (a tracing proxy) cannot make AWS refuse the call.
    if (call.traceparent !== undefined) {
      headers.set(TRACEPARENT, String(call.traceparent));
      if (call.tracestate !== undefined) headers.set(TRACESTATE, call.tracestate);
    }
    headers.set("x-request-id", call.requestId);
    let response: Response;
    try {
      response = await doFetch(signed.url, {
        method: "POST",
        headers,
        body,
        signal: call.signal,
      });
    } catch {
      if (call.signal.aborted) throw call.signal.reason;
      throw unreachable(options.name);
    }
    if (!response.ok) {
      const text = await readErrorText(response, options.name);
      const type = response.headers.get("x-amzn-errortype") ?? "";
      throw bedrockFailure(
        options.name,
        response.status,
        type,
        bedrockErrorMessage(text),
        response.headers.get("retry-after"),
        call.operation === "embeddings" ? "input" : "messages",
      );
    }
    return response;
  }

  /** A whole answer's JSON, read within `routing.max_upstream_body`. */
  async function readJson(call: ProviderCall, response: Response): Promise<JsonObject> {
    const bytes = await readBounded(
      response,
      call.maxBody ?? DEFAULT_MAX_UPSTREAM_BODY,
      options.name,
      "refuse",
    );
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder().decode(bytes));
    } catch {
      json = undefined;
    }
    if (!isJsonObject(json)) throw upstreamError(`upstream ${options.name} sent a body that is not JSON`);
    return json;
  }

  async function chat(call: ProviderCall): Promise<ProviderReply> {
    const model = String(call.body.model);
    const body = JSON.stringify(chatRequestToConverse(call.body));
    const response = await send(call, model, call.stream ? "converse-stream" : "converse", body);
    const id = `chatcmpl-${call.requestId}`;
    if (call.stream && response.body) {
      const upstream = new ConverseEvents(options.name, response.body.getReader(), call);
      return translatedReply(
        upstream,
        readConverseEvent,
        new ConverseChunkWriter(id, model, wantsUsage(call.body)),
      );
    }
    return { kind: "json", body: converseResponseToChat(await readJson(call, response), model, id) };
  }

  /** Embeddings through `InvokeModel`, in the model family's own body (Titan, Cohere). */
  async function embeddings(call: ProviderCall): Promise<ProviderReply> {
    const model = String(call.body.model);
    const embedder = bedrockEmbedder(model);
    if (!embedder)
      throw unsupportedOperation(
        `provider ${options.name} embeds only with ${BEDROCK_EMBEDDING_FAMILIES} models, not ${model}`,
      );
    const ask = readEmbeddingsAsk(call.body, options.name);
    const embedded = await embedInCalls(ask.texts, embedder.perCall, call.signal, async (texts, signal) => {
      const one = { ...call, signal };
      const response = await send(one, model, "invoke", JSON.stringify(embedder.request(texts, ask)));
      return embedder.answer(await readJson(one, response), response.headers.get(INPUT_TOKEN_COUNT));
    });
    return { kind: "json", body: await embeddingsAnswer(options.name, ask, model, embedded) };
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
    throw unsupportedOperation(`provider ${options.name} does not serve ${call.operation}`);
  }

  return { name: options.name, dialect: "openai", vendor: "aws.bedrock", countsTokens: true, call };
}
