import { isJsonObject } from "../../core/dialect.ts";
import { unsupportedOperation, upstreamError } from "../../core/gateway-error.ts";
import { wantsUsage } from "../../translate/chat-chunk-builder.ts";
import { chatRequestToGemini } from "../../translate/openai-to-gemini/chat-request-to-gemini.ts";
import { geminiResponseToChat } from "../../translate/openai-to-gemini/gemini-response-to-chat.ts";
import {
  GeminiChunkWriter,
  readGeminiEvent,
} from "../../translate/openai-to-gemini/gemini-stream-to-chat.ts";
import { postCall } from "../http/post-json.ts";
import { readUpstreamReply } from "../http/read-reply.ts";
import { translatedReply } from "../http/translated-reply.ts";
import type { Provider, ProviderCall, ProviderReply } from "../provider.ts";

/** Where a Google model lives and how to authenticate: the Gemini API or Vertex AI. */
export interface GoogleEndpoint {
  /** The URL of `model`'s method (`generateContent`, or `streamGenerateContent?alt=sse`). */
  url(model: string, stream: boolean): string;
  /** Auth headers for one call (an API key, or a fresh OAuth token). */
  headers(): Promise<Record<string, string>>;
}

export interface GoogleOptions {
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
 * Vertex AI (`type: vertex`, service account): one body, two endpoints. Speaks the OpenAI chat
 * dialect to the router; translation lives in src/translate/openai-to-gemini.
 */
export function createGoogleProvider(options: GoogleOptions): Provider {
  const doFetch = options.fetch ?? fetch;

  async function call(call: ProviderCall): Promise<ProviderReply> {
    if (call.operation !== "chat")
      throw unsupportedOperation(`provider ${options.name} does not serve ${call.operation}`);
    const model = String(call.body.model);
    const headers = {
      "content-type": "application/json",
      ...options.headers,
      ...(await options.endpoint.headers()),
    };
    const upstream = { ...call, body: chatRequestToGemini(call.body) };
    const response = await postCall(
      options.name,
      options.endpoint.url(model, call.stream),
      headers,
      upstream,
      doFetch,
    );
    const reply = await readUpstreamReply(options.name, response, call, options.maxSseLine);
    const id = `chatcmpl-${call.requestId}`;
    if (reply.kind === "stream") {
      return translatedReply(
        reply.events,
        readGeminiEvent,
        new GeminiChunkWriter(id, model, wantsUsage(call.body)),
      );
    }
    if (call.stream) throw upstreamError(`upstream ${options.name} did not answer with an event stream`);
    if (!isJsonObject(reply.body))
      throw upstreamError(`upstream ${options.name} sent a body that is not JSON`);
    return { kind: "json", body: geminiResponseToChat(reply.body, model, id) };
  }

  return { name: options.name, dialect: "openai", vendor: options.vendor, call };
}

const method = (stream: boolean) => (stream ? "streamGenerateContent?alt=sse" : "generateContent");

/** The Gemini API (`generativelanguage.googleapis.com`), authenticated with an API key header. */
export function geminiApiEndpoint(baseUrl: string | undefined, apiKey: string | undefined): GoogleEndpoint {
  const base = (baseUrl ?? "https://generativelanguage.googleapis.com/v1beta").replace(/\/+$/, "");
  return {
    url: (model, stream) => `${base}/models/${encodeURIComponent(model)}:${method(stream)}`,
    headers: async (): Promise<Record<string, string>> => (apiKey ? { "x-goog-api-key": apiKey } : {}),
  };
}

/** Vertex AI's publisher models in one project and location, with an OAuth bearer token. */
export function vertexEndpoint(
  project: string,
  location: string,
  baseUrl: string | undefined,
  token: () => Promise<string>,
): GoogleEndpoint {
  const host =
    location === "global"
      ? "https://aiplatform.googleapis.com"
      : `https://${location}-aiplatform.googleapis.com`;
  const base = (baseUrl ?? host).replace(/\/+$/, "");
  const prefix = `${base}/v1/projects/${encodeURIComponent(project)}/locations/${encodeURIComponent(location)}/publishers/google/models`;
  return {
    url: (model, stream) => `${prefix}/${encodeURIComponent(model)}:${method(stream)}`,
    headers: async () => ({ authorization: `Bearer ${await token()}` }),
  };
}
