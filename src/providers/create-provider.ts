import type { ProviderConfig } from "../config/config-schema.ts";
import { createAnthropicProvider } from "./anthropic/anthropic-provider.ts";
import { createMockProvider } from "./mock/mock-provider.ts";
import { createOpenAICompatibleProvider } from "./openai-compatible/openai-compatible-provider.ts";
import type { Provider } from "./provider.ts";

export interface ProviderContext {
  maxSseLine: number;
  /** The `fetch` for upstream calls (the gateway's has no hidden cap on requests at once). */
  fetch?: typeof fetch;
}

/** Builds a provider from config. Embedders may pass their own factory for custom types. */
export type ProviderFactory = (config: ProviderConfig, context: ProviderContext) => Provider;

export const createProvider: ProviderFactory = (config, context) => {
  const common = {
    name: config.name,
    headers: config.headers,
    maxSseLine: context.maxSseLine,
    ...(context.fetch ? { fetch: context.fetch } : {}),
    ...(config.api_key ? { apiKey: config.api_key } : {}),
  };
  switch (config.type) {
    case "openai":
      return createOpenAICompatibleProvider({
        ...common,
        baseUrl: config.base_url ?? "https://api.openai.com/v1",
      });
    case "anthropic":
      return createAnthropicProvider({
        ...common,
        baseUrl: config.base_url ?? "https://api.anthropic.com",
        version: config.anthropic_version,
      });
    case "mock":
      return createMockProvider(config.name);
  }
};
