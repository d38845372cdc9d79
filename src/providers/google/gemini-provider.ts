import { isJsonObject, type JsonObject } from "../../core/dialect.ts";
import { GatewayError, unsupportedOperation, upstreamError } from "../../core/gateway-error.ts";
import type { Usage } from "../../core/usage.ts";
import { wantsUsage } from "../../translate/chat-chunk-builder.ts";
import { embeddingsAnswer, readEmbeddingsAsk } from "../../translate/openai-embeddings.ts";
import {
  chatRequestToGemini,
  GEMINI_TARGET,
} from "../../translate/openai-to-gemini/chat-request-to-gemini.ts";
import {
  chatRequestToGeminiCount,
  chatRequestToVertexCount,
  googleCountToMessages,
} from "../../translate/openai-to-gemini/count-tokens-to-gemini.ts";
import {
  GOOGLE_EMBEDDINGS_TARGET,
  geminiEmbedAnswer,
  geminiEmbedRequest,
  vertexCallCap,
  vertexPredictAnswer,
  vertexPredictRequest,
} from "../../translate/openai-to-gemini/embeddings-to-google.ts";
import { geminiAnswer } from "../../translate/openai-to-gemini/gemini-response-to-chat.ts";
import {
  GeminiChunkWriter,
  geminiEventReader,
} from "../../translate/openai-to-gemini/gemini-stream-to-chat.ts";
import { usageFromOpenAI } from "../../translate/usage-mapping.ts";
import {
  bearerAuth,
  type CallAuth,
  sendAuthorized,
  staticAuth,
  type TokenSource,
} from "../credentials/call-auth.ts";
import type { FinishWarning } from "../finish-warning.ts";
import { countOrEstimate } from "../http/count-or-estimate.ts";
import { embedInCalls } from "../http/embed-in-calls.ts";
import { postCall } from "../http/post-json.ts";
import { readUpstreamReply } from "../http/read-reply.ts";
import { translatedReply } from "../http/translated-reply.ts";
import type { Provider, ProviderCall, ProviderReply } from "../provider.ts";
import { upstreamName } from "../upstream-name.ts";

/** Where a Google model lives and how to authenticate: the Gemini API or Vertex AI. */
export interface GoogleEndpoint {
  /** The URL of one of `model`'s methods (`generateContent`, `streamGenerateContent?alt=sse`, `predict`, …). */
  url(model: string, method: string): string;
  /** Auth headers for one call (an API key, or an OAuth token refreshed when Google refuses it). */
  auth: CallAuth;
}

export interface GoogleOptions extends FinishWarning {
  name: string;
  /** `gen_ai.provider.name` for its calls: `gcp.gemini` or `gcp.vertex_ai`. */
  vendor: "gcp.gemini" | "gcp.vertex_ai";
  endpoint: GoogleEndpoint;
  headers?: Record<string, string>;
  maxSseLine?: number;
  fetch?: typeof fetch;
}

/**
 * Google's `generateContent` family, shared by the Gemini API (`type: gemini`, API key) and
 * Vertex AI (`type: vertex`, a Google OAuth token): one body, two endpoints. Speaks the OpenAI chat
 * dialect to the router; translation lives in src/translate/openai-to-gemini. Embeddings differ
 * by endpoint: `batchEmbedContents` on the Gemini API, `predict` on Vertex AI.
 */
export function createGoogleProvider(options: GoogleOptions): Provider {
  const doFetch = options.fetch ?? fetch;

  /** POSTs `body` to `model`'s `method` as `call` (its signal, timeouts and trace context). */
  async function post(call: ProviderCall, model: string, method: string, body: JsonObject) {
    const url = options.endpoint.url(model, method);
    const sent = { ...call, body };
    const response = await sendAuthorized(options.endpoint.auth, (auth) =>
      postCall(
        options.name,
        url,
        { "content-type": "application/json", ...options.headers, ...auth },
        sent,
        doFetch,
      ),
    );
    return readUpstreamReply(options.name, response, call, options.maxSseLine);
  }

  /**
   * One of an embeddings request's calls, its answer as JSON: under `signal` (the request's, or
   * a sibling call's failure), heard as a signal, not the request's cancel hook.
   */
  async function embedCall(
    call: ProviderCall,
    signal: AbortSignal,
    model: string,
    method: string,
    body: JsonObject,
  ) {
    const reply = await post({ ...call, stream: false, signal, cancel: undefined }, model, method, body);
    if (reply.kind !== "json")
      throw upstreamError(`${upstreamName(options.name)} sent a body that is not JSON`);
    return reply.body;
  }

  async function embeddings(call: ProviderCall): Promise<ProviderReply> {
    const model = String(call.body.model);
    const ask = call.embeddingsAsk ?? readEmbeddingsAsk(call.body, options.name);
    // The two endpoints embed by different methods, in different bodies and caps of texts a call.
    const vendor =
      options.vendor === "gcp.vertex_ai"
        ? {
            method: "predict",
            perCall: await vertexCallCap(model),
            request: (texts: readonly string[]) => vertexPredictRequest(texts, ask),
            answer: vertexPredictAnswer,
          }
        : {
            method: "batchEmbedContents",
            perCall: GEMINI_TEXTS_PER_CALL,
            request: (texts: readonly string[]) => geminiEmbedRequest(model, texts, ask),
            answer: geminiEmbedAnswer,
          };
    const embedded = await embedInCalls(ask.texts, vendor.perCall, call.signal, async (texts, signal) =>
      vendor.answer(await embedCall(call, signal, model, vendor.method, vendor.request(texts))),
    );
    return {
      kind: "json",
      body: await embeddingsAnswer(options.name, ask, call.askedModel ?? model, embedded),
    };
  }

  /** count_tokens through Google's countTokens (the estimate should it fail). */
  function countTokens(call: ProviderCall): Promise<ProviderReply> {
    const model = String(call.body.model);
    return countOrEstimate(options.name, model, call.signal, async () => {
      const body =
        options.vendor === "gcp.vertex_ai"
          ? chatRequestToVertexCount(call.body)
          : chatRequestToGeminiCount(model, call.body);
      const reply = await post({ ...call, stream: false }, model, "countTokens", body);
      if (reply.kind !== "json")
        throw upstreamError(`${upstreamName(options.name)} sent a body that is not JSON`);
      return googleCountToMessages(reply.body);
    });
  }

  async function call(call: ProviderCall): Promise<ProviderReply> {
    if (call.operation === "embeddings") return embeddings(call);
    if (call.operation === "count_tokens") return countTokens(call);
    if (call.operation !== "chat")
      throw unsupportedOperation(`${upstreamName(options.name)} does not serve ${call.operation}`);
    const model = String(call.body.model);
    const method = call.stream ? "streamGenerateContent?alt=sse" : "generateContent";
    const reply = await post(call, model, method, chatRequestToGemini(call.body));
    const id = `chatcmpl-${call.requestId}`;
    const named = call.askedModel ?? model;
    if (reply.kind === "stream") {
      // A blocked prompt is refused in the stream's first event, before any byte reached the caller.
      const refusal = call.refusalFailsOver ? promptRefusal : undefined;
      return translatedReply(
        reply.events,
        geminiEventReader(),
        new GeminiChunkWriter(
          id,
          named,
          wantsUsage(call.body),
          refusal,
          options.unknownFinish,
          typeof call.body.n === "number" ? call.body.n : 1,
          call.body.web_search_options != null,
        ),
        call.meter,
      );
    }
    if (call.stream) throw upstreamError(`${upstreamName(options.name)} did not answer with an event stream`);
    if (!isJsonObject(reply.body))
      throw upstreamError(`${upstreamName(options.name)} sent a body that is not JSON`);
    const { chat, blockReason } = geminiAnswer(reply.body, named, id, undefined, options.unknownFinish);
    // The caller's answer names the model it asked; the trace, the one Google says answered (the
    // route's where it names none: `writesAnswers`).
    const { modelVersion } = reply.body;
    const answeredModel = typeof modelVersion === "string" ? modelVersion : undefined;
    // No candidate and no prompt blocked (Gemini's answer of its usage alone, at times) is a chat
    // answer without a choice: the router fails it as any provider's (routing/attempt-answer.ts).
    if (blockReason === undefined) return { kind: "json", body: chat, answeredModel };
    // Blocked before any candidate: the answer as Gemini gives it (an empty content_filter
    // choice), or a filter's refusal to fail over on where `fallback_on` has content_policy.
    const refusal = promptRefusal(blockReason, usageFromOpenAI(chat));
    return { kind: "json", body: chat, answeredModel, refusal };
  }

  /**
   * A prompt Gemini's filter blocked, as the refusal the router fails over on: a 400 as a filter's
   * own is, carrying what Google billed for it (the audit row and spend count it).
   */
  function promptRefusal(blockReason: string, usage: Usage | undefined): GatewayError {
    return new GatewayError({
      status: 400,
      code: "invalid_request",
      message: `${upstreamName(options.name)}'s content filter blocked the prompt (Gemini blockReason ${blockReason})`,
      ...(usage ? { usage } : {}),
    });
  }

  return {
    name: options.name,
    dialect: "openai",
    writesAnswers: true,
    vendor: options.vendor,
    countsTokens: true,
    chatTarget: GEMINI_TARGET,
    embeddingsTarget: GOOGLE_EMBEDDINGS_TARGET,
    call,
  };
}

/** Texts one `batchEmbedContents` call may carry on the Gemini API. */
const GEMINI_TEXTS_PER_CALL = 100;

/** The Gemini API (`generativelanguage.googleapis.com`), authenticated with an API key header. */
export function geminiApiEndpoint(baseUrl: string | undefined, apiKey: string | undefined): GoogleEndpoint {
  const base = (baseUrl ?? "https://generativelanguage.googleapis.com/v1beta").replace(/\/+$/, "");
  return {
    url: (model, method) => `${base}/models/${encodeURIComponent(model)}:${method}`,
    auth: staticAuth(apiKey ? { "x-goog-api-key": apiKey } : {}),
  };
}

/**
 * Vertex AI's host for a location, as Google's locations page names them: the global endpoint's;
 * a multi-region's (`us`, `eu`: ML processing kept within the US or the EU), its own
 * `aiplatform.{location}.rep.googleapis.com`, where `us-aiplatform.googleapis.com` is no host; a
 * region's `{location}-aiplatform.googleapis.com`.
 */
function vertexHost(location: string): string {
  if (location === "global") return "https://aiplatform.googleapis.com";
  if (MULTI_REGIONS.has(location)) return `https://aiplatform.${location}.rep.googleapis.com`;
  return `https://${location}-aiplatform.googleapis.com`;
}

const MULTI_REGIONS: ReadonlySet<string> = new Set(["us", "eu"]);

/**
 * Vertex AI's publisher models in one project and location, with an OAuth bearer token: Google's
 * (Gemini), or another publisher's (`anthropic`: Claude).
 */
export function vertexEndpoint(
  project: string,
  location: string,
  baseUrl: string | undefined,
  token: TokenSource,
  publisher: "google" | "anthropic" = "google",
): GoogleEndpoint {
  const base = (baseUrl ?? vertexHost(location)).replace(/\/+$/, "");
  const prefix = `${base}/v1/projects/${encodeURIComponent(project)}/locations/${encodeURIComponent(location)}/publishers/${publisher}/models`;
  return {
    url: (model, method) => `${prefix}/${encodeURIComponent(model)}:${method}`,
    auth: bearerAuth(token),
  };
}
