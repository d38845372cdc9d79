import { carriesCredential } from "../../core/credential-header.ts";
import type { RefreshFailed } from "../credentials/cached-credential.ts";
import { bearerAuth, staticAuth } from "../credentials/call-auth.ts";
import {
  createOpenAICompatibleProvider,
  OPENAI_MAX_STOPS,
} from "../openai-compatible/openai-compatible-provider.ts";
import type { Provider } from "../provider.ts";
import { azureVersionQuirks } from "./azure-api-version.ts";
import { azureUrls } from "./azure-endpoint.ts";
import { entraFromEnvironment } from "./entra-environment.ts";
import { type EntraCredentials, entraToken } from "./entra-token.ts";

export interface AzureOptions {
  name: string;
  /** The resource endpoint (`https://RESOURCE.openai.azure.com`). */
  baseUrl: string;
  apiVersion: string;
  /** Sent as the `api-key` header. */
  apiKey?: string;
  /** An Entra ID identity (bearer token) instead of an API key: client secret, workload or managed identity. */
  entra?: EntraCredentials;
  headers?: Record<string, string>;
  maxSseLine?: number;
  env?: Record<string, string | undefined>;
  fetch?: typeof fetch;
  /** Told when an Entra token's refresh fails while the cached one is still valid (it stays in use). */
  refreshFailed?: RefreshFailed;
}

/**
 * Azure OpenAI / Azure AI Foundry: the OpenAI wire format on Azure's URLs (deployments and
 * `api-version`), authenticated with an `api-key` header or an Entra ID token. Without either
 * in config, the Entra identity comes from the environment (entra-environment.ts), unless the
 * provider's own `headers:` authenticate it (`api-key`, `Authorization`, APIM's
 * `Ocp-Apim-Subscription-Key`): those are sent as configured, no token asked for or added.
 */
export function createAzureProvider(options: AzureOptions): Provider {
  const env = options.env ?? process.env;
  const ownAuth = Boolean(options.apiKey) || carriesCredential(options.headers);
  const entra = options.entra ?? (ownAuth ? undefined : entraFromEnvironment(env));
  const token = entra
    ? entraToken(options.name, entra, { fetch: options.fetch, refreshFailed: options.refreshFailed, env })
    : undefined;
  const apiKey = options.apiKey;
  const url = azureUrls(options.baseUrl, options.apiVersion);
  const quirks = azureVersionQuirks(options.apiVersion);
  return createOpenAICompatibleProvider({
    name: options.name,
    vendor: "azure.ai.openai",
    baseUrl: options.baseUrl,
    ...(options.headers ? { headers: options.headers } : {}),
    ...(options.maxSseLine ? { maxSseLine: options.maxSseLine } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
    url,
    auth: token ? bearerAuth(token) : staticAuth(apiKey ? { "api-key": apiKey } : {}),
    maxStops: OPENAI_MAX_STOPS,
    ...(quirks ? { preset: quirks } : {}),
  });
}
