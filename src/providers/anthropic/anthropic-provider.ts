import { unsupportedOperation } from "../../core/gateway-error.ts";
import { postCall, postNative } from "../http/post-json.ts";
import { readUpstreamReply } from "../http/read-reply.ts";
import type { Provider, ProviderCall, ProviderReply } from "../provider.ts";
import { upstreamName } from "../upstream-name.ts";

export interface AnthropicOptions {
  name: string;
  /** The API root (`https://api.anthropic.com`); requests go to `{baseUrl}/v1/messages`. */
  baseUrl: string;
  apiKey?: string;
  version: string;
  headers?: Record<string, string>;
  /** The upstream takes back thinking Claude did not sign (`Provider.takesUnsignedThinking`). */
  takesUnsignedThinking?: boolean;
  /** The upstream takes Anthropic's automatic caching (`Provider.cachesAutomatically`). */
  cachesAutomatically?: boolean;
  maxSseLine?: number;
  fetch?: typeof fetch;
}

const PATHS = { messages: "/v1/messages", count_tokens: "/v1/messages/count_tokens" } as const;

/**
 * Anthropic's Messages API, or a server compatible with it. Errors that arrive inside a 200
 * stream stay `error` events; the router's translation or the caller's SDK reads them.
 */
export function createAnthropicProvider(options: AnthropicOptions): Provider {
  const base = options.baseUrl.replace(/\/+$/, "");
  const doFetch = options.fetch ?? fetch;
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "anthropic-version": options.version,
    ...options.headers,
  };
  if (options.apiKey) headers["x-api-key"] = options.apiKey;

  async function call(call: ProviderCall): Promise<ProviderReply> {
    const path =
      call.operation === "messages" || call.operation === "count_tokens" ? PATHS[call.operation] : undefined;
    if (!path) throw unsupportedOperation(`${upstreamName(options.name)} does not serve ${call.operation}`);
    if (call.native) return postNative(options.name, base + path, headers, call, doFetch);
    const response = await postCall(options.name, base + path, headers, call, doFetch);
    return readUpstreamReply(options.name, response, call, options.maxSseLine);
  }

  return {
    name: options.name,
    dialect: "anthropic",
    passThrough: true,
    call,
    ...(options.takesUnsignedThinking ? { takesUnsignedThinking: true } : {}),
    ...(options.cachesAutomatically ? { cachesAutomatically: true } : {}),
  };
}
