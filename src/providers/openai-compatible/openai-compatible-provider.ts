import type { Operation } from "../../core/dialect.ts";
import { unsupportedOperation } from "../../core/gateway-error.ts";
import { traceContextHeaders } from "../../core/tracestate.ts";
import { type CallAuth, sendAuthorized } from "../credentials/call-auth.ts";
import { postCall, postNative, withQuery } from "../http/post-json.ts";
import { readUpstreamReply } from "../http/read-reply.ts";
import { unreachable } from "../http/unreachable.ts";
import type { ForwardRequest, NativeRequest, Provider, ProviderCall, ProviderReply } from "../provider.ts";
import { upstreamName } from "../upstream-name.ts";
import { withoutEchoedPrefix } from "./echoed-prefix.ts";
import { mistralPrefix } from "./mistral-chat.ts";
import { presetLeavesOut } from "./preset-left-out.ts";
import { applyPresetQuirks, type PresetQuirks } from "./presets.ts";

export interface OpenAICompatibleOptions {
  name: string;
  /** Includes `/v1`, as the OpenAI SDK expects (`https://api.openai.com/v1`). From config only. */
  baseUrl: string;
  apiKey?: string;
  /** Extra static headers from config (e.g. an organisation id). */
  headers?: Record<string, string>;
  maxSseLine?: number;
  fetch?: typeof fetch;
  /** A vendor preset's request quirks (see presets.ts), or an API version's (Azure's). */
  preset?: PresetQuirks;
  /** Where an operation's request goes; defaults to `{baseUrl}{path}`. Azure routes by deployment. */
  url?: (path: string, model: string) => string;
  /** Credentials fetched per call (a cached OAuth token, refreshed when refused) instead of the static `apiKey`. */
  auth?: CallAuth;
  /** The upstream serves the Responses API itself (config `responses_api`). */
  responsesApi?: boolean;
  /** `gen_ai.provider.name` for its calls (Provider's `vendor`); unset: `openai`. */
  vendor?: string;
  /** The most entries of `stop` the upstream takes (Provider's `maxStops`): OpenAI's and Azure's `OPENAI_MAX_STOPS`. */
  maxStops?: number;
}

/** The most stop sequences OpenAI's chat API takes, and Azure's (400 "'stop': array too long. Expected an array with maximum length 4"). */
export const OPENAI_MAX_STOPS = 4;

const PATHS: Partial<Record<Operation, string>> = {
  chat: "/chat/completions",
  completions: "/completions",
  embeddings: "/embeddings",
  responses: "/responses",
};

/** A preset that rewrites the body sends the rewritten body, not the client's bytes. */
function rewritten(call: ProviderCall, body: ProviderCall["body"]): ProviderCall {
  if (!call.native) return { ...call, body };
  const { bytes: _bytes, ...unspliced } = call.native;
  return { ...call, body, native: unspliced as NativeRequest };
}

/** The choices a chat call asks for (`n`, 1 unless more). */
const answers = (call: ProviderCall): number =>
  typeof call.body.n === "number" && call.body.n > 1 ? call.body.n : 1;

/** Any server that speaks OpenAI's HTTP API: OpenAI itself, vLLM, llama.cpp, Ollama, TGI. */
export function createOpenAICompatibleProvider(options: OpenAICompatibleOptions): Provider {
  const base = options.baseUrl.replace(/\/+$/, "");
  const doFetch = options.fetch ?? fetch;
  const headers: Record<string, string> = { "content-type": "application/json", ...options.headers };
  if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;
  // Each path's URL made once (a handful of paths): not a string concatenated, and flattened again
  // by the fetch, every call.
  const urls = new Map<string, string>();

  function urlOf(call: ProviderCall): string {
    const path = call.native?.path ?? PATHS[call.operation];
    if (!path) throw unsupportedOperation(`${upstreamName(options.name)} does not serve ${call.operation}`);
    if (options.url) return options.url(path, String(call.body.model));
    let url = urls.get(path);
    if (url === undefined) {
      url = base + path;
      urls.set(path, url);
    }
    return url;
  }

  /** The call as sent: a preset that rewrites the body sends the rewritten body. */
  function upstreamOf(call: ProviderCall): ProviderCall {
    const body = applyPresetQuirks(options.preset, call.body, call.operation);
    return body === call.body ? call : rewritten(call, body);
  }

  /**
   * The text a Mistral-checked server (`mistralChat`) writes again at the start of its answer:
   * the prefix the gateway asked it to continue (mistral-chat.ts), which the answer goes without.
   * A caller's own `prefix: true` is Mistral's API used as Mistral documents it: the caller reads
   * the answer from `len(prefix)`, so its answer is left as Mistral gives it.
   */
  function echoedPrefix(call: ProviderCall, upstream: ProviderCall): string | undefined {
    if (!options.preset?.mistralChat || upstream.operation !== "chat") return undefined;
    if (mistralPrefix(call.body) !== undefined) return undefined;
    return mistralPrefix(upstream.body);
  }

  function call(call: ProviderCall): Promise<ProviderReply> {
    // The common call: the client's own dialect, relayed as the upstream answers it, with static
    // credentials. Handed back as the POST's promise (no async frame per call).
    if (call.native && !options.auth) {
      try {
        const upstream = upstreamOf(call);
        if (echoedPrefix(call, upstream) === undefined)
          return postNative(options.name, urlOf(call), headers, upstream, doFetch);
        return generalCall(call, upstream);
      } catch (error) {
        return Promise.reject(error);
      }
    }
    return generalCall(call, upstreamOf(call));
  }

  /** Per-call credentials (awaited first), or a translated call whose answer is decoded here. */
  async function generalCall(call: ProviderCall, upstream: ProviderCall): Promise<ProviderReply> {
    const url = urlOf(call);
    const auth = options.auth;
    // An answer that repeats the prefix it continues is decoded to go without it, whoever asked.
    const prefix = echoedPrefix(call, upstream);
    if (prefix !== undefined)
      return withoutEchoedPrefix(await decodedCall(url, upstream), prefix, answers(call));
    if (call.native) {
      if (!auth) return postNative(options.name, url, headers, upstream, doFetch);
      return sendAuthorized(
        auth,
        (sent) => postNative(options.name, url, { ...headers, ...sent }, upstream, doFetch),
        (reply) => reply.response,
      );
    }
    return decodedCall(url, upstream);
  }

  /** The call sent, its answer read here (a stream as its events). */
  async function decodedCall(url: string, upstream: ProviderCall): Promise<ProviderReply> {
    const auth = options.auth;
    const response = auth
      ? await sendAuthorized(auth, (sent) =>
          postCall(options.name, url, { ...headers, ...sent }, upstream, doFetch),
        )
      : await postCall(options.name, url, headers, upstream, doFetch);
    return readUpstreamReply(options.name, response, upstream, options.maxSseLine);
  }

  /**
   * `GET`/`DELETE` of a stored response, as the upstream answers it: a refused token is dropped
   * and the call sent once more with a fresh one, as a model call's is (`sendAuthorized`).
   */
  async function forward(request: ForwardRequest): Promise<Response> {
    const send = async (auth: Record<string, string>): Promise<Response> => {
      try {
        return await doFetch(withQuery(base + request.path, request.query), {
          method: request.method,
          headers: {
            ...headers,
            ...auth,
            ...request.headers,
            ...traceContextHeaders(request.traceparent, request.tracestate),
            "x-request-id": request.requestId,
          },
          signal: request.signal,
        });
      } catch (error) {
        if (request.signal.aborted) throw request.signal.reason;
        throw unreachable(options.name, error);
      }
    };
    return options.auth ? sendAuthorized(options.auth, send) : send({});
  }

  async function listModels(signal: AbortSignal): Promise<string[]> {
    const response = await doFetch(`${base}/models`, { headers, signal });
    if (!response.ok) return [];
    const body = (await response.json()) as { data?: { id?: unknown }[] };
    return (body.data ?? []).flatMap((m) => (typeof m.id === "string" ? [m.id] : []));
  }

  // A custom URL scheme (Azure deployments) has no OpenAI-style model list at `{base}/models`.
  return {
    name: options.name,
    dialect: "openai",
    ...(options.vendor ? { vendor: options.vendor } : {}),
    passThrough: true,
    call,
    forward,
    ...(options.responsesApi ? { responsesApi: true } : {}),
    ...(options.maxStops !== undefined ? { maxStops: options.maxStops } : {}),
    ...(options.preset?.wantsReasoningBack ? { wantsReasoningBack: true } : {}),
    ...presetLeavesOut(options.preset),
    ...(options.url ? {} : { listModels }),
  };
}
