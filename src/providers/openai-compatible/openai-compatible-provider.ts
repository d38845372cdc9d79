import type { Operation } from "../../core/dialect.ts";
import { unsupportedOperation } from "../../core/gateway-error.ts";
import { postJson } from "../http/post-json.ts";
import { readUpstreamReply } from "../http/read-reply.ts";
import type { Provider, ProviderCall, ProviderReply } from "../provider.ts";

export interface OpenAICompatibleOptions {
  name: string;
  /** Includes `/v1`, as the OpenAI SDK expects (`https://api.openai.com/v1`). From config only. */
  baseUrl: string;
  apiKey?: string;
  /** Extra static headers from config (e.g. an organisation id). */
  headers?: Record<string, string>;
  maxSseLine?: number;
  fetch?: typeof fetch;
}

const PATHS: Partial<Record<Operation, string>> = {
  chat: "/chat/completions",
  completions: "/completions",
  embeddings: "/embeddings",
  responses: "/responses",
};

/** Any server that speaks OpenAI's HTTP API: OpenAI itself, vLLM, llama.cpp, Ollama, TGI. */
export function createOpenAICompatibleProvider(options: OpenAICompatibleOptions): Provider {
  const base = options.baseUrl.replace(/\/+$/, "");
  const doFetch = options.fetch ?? fetch;
  const headers: Record<string, string> = { "content-type": "application/json", ...options.headers };
  if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;

  async function call(call: ProviderCall): Promise<ProviderReply> {
    const path = PATHS[call.operation];
    if (!path) throw unsupportedOperation(`provider ${options.name} does not serve ${call.operation}`);
    const response = await postJson(options.name, base + path, headers, call, doFetch);
    if (call.native) return { kind: "http", response };
    return readUpstreamReply(options.name, response, call, options.maxSseLine);
  }

  async function listModels(signal: AbortSignal): Promise<string[]> {
    const response = await doFetch(`${base}/models`, { headers, signal });
    if (!response.ok) return [];
    const body = (await response.json()) as { data?: { id?: unknown }[] };
    return (body.data ?? []).flatMap((m) => (typeof m.id === "string" ? [m.id] : []));
  }

  return { name: options.name, dialect: "openai", call, listModels };
}
