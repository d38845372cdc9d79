import type { JsonObject } from "../../core/dialect.ts";
import { unsupportedOperation } from "../../core/gateway-error.ts";
import { sendAuthorized } from "../credentials/call-auth.ts";
import { postCall } from "../http/post-json.ts";
import { readUpstreamReply } from "../http/read-reply.ts";
import type { Provider, ProviderCall, ProviderReply } from "../provider.ts";
import { upstreamName } from "../upstream-name.ts";
import type { GoogleEndpoint } from "./gemini-provider.ts";
import { VERTEX_BETAS } from "./vertex-betas.ts";

export interface VertexAnthropicOptions {
  name: string;
  /** Vertex AI's `publishers/anthropic` models (vertexEndpoint with that publisher). */
  endpoint: GoogleEndpoint;
  headers?: Record<string, string>;
  /** Vertex AI takes Anthropic's automatic caching (`Provider.cachesAutomatically`). */
  cachesAutomatically?: boolean;
  maxSseLine?: number;
  fetch?: typeof fetch;
}

/** What Vertex AI takes in the body in place of Anthropic's `anthropic-version` header. */
const VERTEX_VERSION = "vertex-2023-10-16";

/** Vertex AI counts Claude's tokens at a model of its own; the model goes in the body. */
const COUNT_TOKENS_MODEL = "count-tokens";

/**
 * Claude on Vertex AI (`type: vertex`, `publisher: anthropic`): the Messages API itself, through
 * `rawPredict` and `streamRawPredict`, so Anthropic callers reach it untranslated (tools,
 * thinking, `cache_control` and all) and OpenAI callers through the usual chat → messages
 * translation. Vertex names the model in the URL and takes `anthropic_version` in the body; the
 * caller's `anthropic-beta` header goes on with the betas on Vertex's list (vertex-betas.ts: the
 * router leaves out, and names, any other). Answers and stream events are Anthropic's own.
 */
export function createVertexAnthropicProvider(options: VertexAnthropicOptions): Provider {
  const doFetch = options.fetch ?? fetch;

  async function call(call: ProviderCall): Promise<ProviderReply> {
    if (call.operation !== "messages" && call.operation !== "count_tokens")
      throw unsupportedOperation(`${upstreamName(options.name)} does not serve ${call.operation}`);
    const model = String(call.body.model);
    const counting = call.operation === "count_tokens";
    const { model: _inTheUrl, ...rest } = call.body;
    const body: JsonObject = counting
      ? { ...call.body, anthropic_version: VERTEX_VERSION }
      : { ...rest, anthropic_version: VERTEX_VERSION };
    const url = counting
      ? options.endpoint.url(COUNT_TOKENS_MODEL, "rawPredict")
      : options.endpoint.url(model, call.stream ? "streamRawPredict" : "rawPredict");
    const headers = {
      "content-type": "application/json",
      ...options.headers,
      // The caller's dialect headers (`anthropic-beta`, the betas Vertex takes): Vertex reads them
      // as Anthropic does.
      ...call.native?.headers,
    };
    // The body is rewritten, so it is sent parsed and serialised, not as the caller's bytes; and
    // sent from here, as a translating provider's is: a shadow copy is not handed to the shadow
    // thread (`offload`), whose capture stands in for an answer this provider reads.
    const upstream: ProviderCall = { ...call, body, native: undefined, offload: undefined };
    const response = await sendAuthorized(options.endpoint.auth, (auth) =>
      postCall(options.name, url, { ...headers, ...auth }, upstream, doFetch),
    );
    return readUpstreamReply(options.name, response, call, options.maxSseLine);
  }

  // `passThrough`: a same-dialect call arrives with the caller's headers (`native`); the body is
  // still rebuilt (`rebuildsBody`), and the answer read, as a translating provider's is.
  return {
    name: options.name,
    dialect: "anthropic",
    passThrough: true,
    rebuildsBody: true,
    vendor: "gcp.vertex_ai",
    acceptedBetas: VERTEX_BETAS,
    // "URL sources are not supported" (anthropics/anthropic-sdk-typescript#1038): never sent.
    refusesUrlSources: true,
    ...(options.cachesAutomatically ? { cachesAutomatically: true } : {}),
    call,
  };
}
