import { isJsonObject } from "../../core/dialect.ts";
import { badRequest, upstreamError } from "../../core/gateway-error.ts";
import { upstreamErrorMessage, upstreamEvents } from "../openai-compatible/read-reply.ts";
import { unreachable, upstreamFailure } from "../openai-compatible/upstream-failure.ts";
import type { Provider, ProviderCall, ProviderReply } from "../provider.ts";

export interface AnthropicOptions {
  name: string;
  /** The API root (`https://api.anthropic.com`); requests go to `{baseUrl}/v1/messages`. */
  baseUrl: string;
  apiKey?: string;
  version: string;
  headers?: Record<string, string>;
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
    if (!path) throw badRequest(`provider ${options.name} does not serve ${call.operation}`);
    let response: Response;
    try {
      response = await doFetch(base + path, {
        method: "POST",
        headers: { ...headers, "x-request-id": call.requestId },
        body: JSON.stringify(call.body),
        signal: call.signal,
      });
    } catch {
      if (call.signal.aborted) throw call.signal.reason;
      throw unreachable(options.name);
    }
    if (!response.ok) {
      const text = await response.text().catch(() => "");
      throw upstreamFailure(options.name, response.status, upstreamErrorMessage(text));
    }
    if (
      call.stream &&
      (response.headers.get("content-type") ?? "").includes("text/event-stream") &&
      response.body
    ) {
      return {
        kind: "stream",
        events: upstreamEvents(options.name, response.body, call.signal, options.maxSseLine),
      };
    }
    const body: unknown = await response.json().catch(() => {
      if (call.signal.aborted) throw call.signal.reason;
      throw upstreamError(`upstream ${options.name} sent a body that is not JSON`);
    });
    if (!isJsonObject(body))
      throw upstreamError(`upstream ${options.name} sent a body that is not a JSON object`);
    return { kind: "json", body };
  }

  return { name: options.name, dialect: "anthropic", call };
}
