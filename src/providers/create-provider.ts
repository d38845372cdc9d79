import type { ProviderConfig } from "../config/config-schema.ts";
import type { LogFields } from "../log/logger.ts";
import { repeatedFailure } from "../log/repeated-failure.ts";
import { warnUnknownFinish } from "../translate/unknown-finish.ts";
import { createAnthropicProvider } from "./anthropic/anthropic-provider.ts";
import type { RefreshFailed } from "./credentials/cached-credential.ts";
import { hostOf } from "./host-of.ts";
import { createMockProvider } from "./mock/mock-provider.ts";
import {
  createOpenAICompatibleProvider,
  OPENAI_MAX_STOPS,
} from "./openai-compatible/openai-compatible-provider.ts";
import { OPENAI_PRESETS, presetOf } from "./openai-compatible/presets.ts";
import type { Provider } from "./provider.ts";
import { upstreamName } from "./upstream-name.ts";

export interface ProviderContext {
  maxSseLine: number;
  /** The `fetch` for upstream calls (the gateway's has no hidden cap on requests at once). */
  fetch?: typeof fetch;
  /** The gateway's log, for what an upstream's answer says that the gateway does not know. */
  warn?: (message: string, fields: LogFields) => void;
  /**
   * The environment the cloud providers find their credentials in (Azure's, AWS's, Google's
   * variables, GEMINI_API_KEY); default `process.env`. An embedder's or a test's own, isolated.
   */
  env?: Record<string, string | undefined>;
}

/** Builds a provider from config. Embedders may pass their own factory for custom types. */
export type ProviderFactory = (config: ProviderConfig, context: ProviderContext) => Provider;

// The cloud vendors' providers (and their translations and schemas) load with the first provider
// of their type: a gateway that configures none never evaluates them (idle memory: issue 11's
// bound; docs/BENCHMARKS-HISTORY.md, session 40).
const azure = () => require("./azure/azure-provider.ts") as typeof import("./azure/azure-provider.ts");
const bedrock = () =>
  require("./bedrock/bedrock-provider.ts") as typeof import("./bedrock/bedrock-provider.ts");
const bedrockRegion = () => require("./bedrock/aws-region.ts") as typeof import("./bedrock/aws-region.ts");
const bedrockAnthropic = () =>
  require("./bedrock/bedrock-anthropic-provider.ts") as typeof import("./bedrock/bedrock-anthropic-provider.ts");
const google = () => require("./google/gemini-provider.ts") as typeof import("./google/gemini-provider.ts");
const vertexAnthropic = () =>
  require("./google/vertex-anthropic-provider.ts") as typeof import("./google/vertex-anthropic-provider.ts");
const vertexTokens = () => require("./google/vertex-token.ts") as typeof import("./google/vertex-token.ts");

export const createProvider: ProviderFactory = (config, context) => {
  const common = {
    name: config.name,
    headers: config.headers,
    maxSseLine: context.maxSseLine,
    ...(context.fetch ? { fetch: context.fetch } : {}),
    ...(config.api_key ? { apiKey: config.api_key } : {}),
  };
  switch (config.type) {
    case "openai": {
      // Once, as the provider is made at config load: never per request.
      const named = presetOf(config);
      const preset = named ? OPENAI_PRESETS[named] : undefined;
      const openAI = isOpenAI(config.base_url ?? preset?.baseUrl);
      return createOpenAICompatibleProvider({
        ...common,
        headers: { ...(preset && "headers" in preset ? preset.headers : {}), ...config.headers },
        baseUrl: config.base_url ?? preset?.baseUrl ?? "https://api.openai.com/v1",
        // OpenAI's own API serves the Responses API; other OpenAI-compatible servers are not assumed to.
        responsesApi: config.responses_api ?? openAI,
        ...(openAI ? { maxStops: OPENAI_MAX_STOPS } : {}),
        ...(preset ? { preset } : {}),
        ...(preset && "vendor" in preset ? { vendor: preset.vendor } : {}),
      });
    }
    case "anthropic":
      return createAnthropicProvider({
        ...common,
        baseUrl: config.base_url ?? ANTHROPIC_API,
        version: config.anthropic_version,
        takesUnsignedThinking: (config.unsigned_thinking ?? unsignedThinking(config.base_url)) === "keep",
        cachesAutomatically:
          config.automatic_caching ?? hostOf(config.base_url ?? ANTHROPIC_API) === "api.anthropic.com",
      });
    case "azure":
      return azure().createAzureProvider({
        ...common,
        baseUrl: config.base_url ?? "",
        apiVersion: config.api_version ?? "v1",
        ...(config.entra ? { entra: config.entra } : {}),
        ...(context.env ? { env: context.env } : {}),
        ...refreshFailedOf(config, context),
      });
    case "bedrock": {
      const options = {
        ...unknownFinishOf(config, context),
        name: config.name,
        region: bedrockRegion().awsRegion(config, context.env ?? process.env),
        headers: config.headers,
        ...(context.fetch ? { fetch: context.fetch } : {}),
        credentials: { ...config.aws, ...(config.profile ? { profile: config.profile } : {}) },
        ...(config.base_url ? { baseUrl: config.base_url } : {}),
        ...(context.env ? { env: context.env } : {}),
        ...(context.warn ? { warn: context.warn } : {}),
        ...refreshFailedOf(config, context),
      };
      return config.publisher === "anthropic"
        ? bedrockAnthropic().createBedrockAnthropicProvider(options)
        : bedrock().createBedrockProvider(options);
    }
    case "gemini": {
      const { createGoogleProvider, geminiApiEndpoint } = google();
      return createGoogleProvider({
        ...unknownFinishOf(config, context),
        name: config.name,
        vendor: "gcp.gemini",
        headers: config.headers,
        maxSseLine: context.maxSseLine,
        ...(context.fetch ? { fetch: context.fetch } : {}),
        endpoint: geminiApiEndpoint(
          config.base_url,
          config.api_key ?? (context.env ?? process.env).GEMINI_API_KEY,
        ),
      });
    }
    case "vertex": {
      const { createGoogleProvider, vertexEndpoint } = google();
      const token = vertexTokens().vertexToken({
        provider: config.name,
        serviceAccount: config.service_account,
        ...(context.env ? { env: context.env } : {}),
        ...refreshFailedOf(config, context),
      });
      const endpoint = (publisher: "google" | "anthropic") =>
        vertexEndpoint(
          config.project ?? "",
          config.location ?? "us-central1",
          config.base_url,
          token,
          publisher,
        );
      if (config.publisher === "anthropic")
        return vertexAnthropic().createVertexAnthropicProvider({
          name: config.name,
          headers: config.headers,
          maxSseLine: context.maxSseLine,
          ...(context.fetch ? { fetch: context.fetch } : {}),
          endpoint: endpoint("anthropic"),
          cachesAutomatically: config.automatic_caching ?? onGoogleApis(config.base_url),
        });
      return createGoogleProvider({
        ...unknownFinishOf(config, context),
        name: config.name,
        vendor: "gcp.vertex_ai",
        headers: config.headers,
        maxSseLine: context.maxSseLine,
        ...(context.fetch ? { fetch: context.fetch } : {}),
        endpoint: endpoint("google"),
      });
    }
    case "mock":
      return createMockProvider(config.name);
  }
};

/**
 * A cloud provider's refresh of its token (or temporary keys) that failed while the cached one was
 * still valid, which calls go on using: told in the gateway's log, the first at once, then at most
 * a line every 30 s (log/repeated-failure.ts), so a token endpoint that stays down is heard before
 * the token expires and calls fail, without a line a call.
 */
function refreshFailedOf(
  config: ProviderConfig,
  context: ProviderContext,
): { refreshFailed?: RefreshFailed } {
  const warn = context.warn;
  if (!warn) return {};
  const failed = repeatedFailure(
    { warn: (line, fields) => warn(line, fields ?? {}) },
    `${upstreamName(config.name)}'s credential refresh (the cached one still valid)`,
  );
  return {
    refreshFailed: (error, validForMs) =>
      failed(error, { provider: config.name, valid_for_ms: Math.round(validForMs) }),
  };
}

/** A Converse or Gemini provider's warning of a finish reason it does not know, once a reason. */
const unknownFinishOf = (config: ProviderConfig, context: ProviderContext) =>
  context.warn ? { unknownFinish: warnUnknownFinish(config.name, context.warn) } : {};

/** Anthropic's own API, an `anthropic` provider's without a `base_url`. */
const ANTHROPIC_API = "https://api.anthropic.com";

/** Vertex AI's own endpoint (no `base_url`, or a googleapis.com host), not a proxy in front of it. */
const onGoogleApis = (baseUrl: string | undefined): boolean =>
  baseUrl === undefined || hostOf(baseUrl)?.endsWith(".googleapis.com") === true;

/**
 * What a Messages server does with thinking no Claude signed, unless configured: DeepSeek's
 * `/anthropic` wants it back (its thinking mode refuses a tool loop whose turn lacks it: "The
 * content[].thinking in the thinking mode must be passed back to the API"); any other server is
 * taken for Claude or in front of it (a proxy), which refuses it.
 */
function unsignedThinking(baseUrl: string | undefined): "drop" | "keep" {
  return hostOf(baseUrl) === "api.deepseek.com" ? "keep" : "drop";
}

/**
 * The provider is OpenAI's own API (no URL of its own, or OpenAI's: api.openai.com, or a regional
 * host of data residency such as eu.api.openai.com), not another server that speaks it.
 */
function isOpenAI(baseUrl: string | undefined): boolean {
  if (baseUrl === undefined) return true;
  const host = hostOf(baseUrl);
  return host === "api.openai.com" || host?.endsWith(".api.openai.com") === true;
}
