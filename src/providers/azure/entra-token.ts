import {
  type CachedCredential,
  type CredentialCalls,
  cachedCredential,
  type Expiring,
} from "../credentials/cached-credential.ts";
import { credentialFailure } from "../credentials/credential-failure.ts";
import { fetchOAuthToken, requestToken } from "../credentials/fetch-token.ts";
import { readTokenFile } from "../credentials/token-file.ts";
import { ENTRA_ENVIRONMENT } from "./entra-environment.ts";
import { managedIdentityRequest, readManagedIdentityToken, resourceOf } from "./managed-identity-token.ts";

/**
 * How the gateway proves who it is to Entra ID (config's `entra`, or entra-environment.ts): an app
 * registration's client secret, a workload identity's federated token file (AKS), or a managed
 * identity (IMDS, App Service). The config schema lets exactly one be given.
 */
export interface EntraCredentials {
  /** The app registration's tenant: the client secret and workload identity flows. */
  tenant_id?: string | undefined;
  /** The app registration's (or user-assigned identity's) client id: the client secret and workload identity flows. */
  client_id?: string | undefined;
  client_secret?: string | undefined;
  /**
   * A file holding a Kubernetes service account token that Entra ID trusts (federated
   * credential): AKS Workload Identity's AZURE_FEDERATED_TOKEN_FILE. Read again at each fetch: the
   * kubelet rotates it.
   */
  federated_token_file?: string | undefined;
  /** The host's managed identity: `true` for the system-assigned one, or a user-assigned one's `client_id`. */
  managed_identity?: true | { client_id: string } | undefined;
  /**
   * Nothing in config or the environment named an identity, and Azure IMDS is asked as
   * DefaultAzureCredential's last step (entra-environment.ts): until it first gives a token it has
   * a second to answer (Azure Identity's IMDS probe's), and no answer says what else was looked for.
   */
  unannounced?: true | undefined;
  /**
   * Sovereign clouds use another authority (`https://login.microsoftonline.us`), whose tokens are
   * asked for that cloud's Azure OpenAI scope (`entraScope`).
   */
  authority_host?: string | undefined;
  /**
   * The scope asked for, where it is not Azure OpenAI's of the authority's cloud: Azure AI
   * Foundry's `https://ai.azure.com/.default`, an API proxy's app (`api://…/.default`). A managed
   * identity asks for its resource (the scope without `/.default`).
   */
  scope?: string | undefined;
}

/** What an Entra token source is handed: `env` for a managed identity's endpoint (managed-identity-token.ts). */
export interface EntraCalls extends CredentialCalls {
  env?: Record<string, string | undefined>;
}

/** RFC 7523's client assertion type: a JWT (here the federated service account token) in place of a secret. */
const JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

const COMMERCIAL_AUTHORITY = "https://login.microsoftonline.com";
const COMMERCIAL_SCOPE = "https://cognitiveservices.azure.com/.default";

/**
 * Azure OpenAI's scope in each sovereign cloud, by its authority's host (Azure Identity's
 * AzureAuthorityHosts): a token for the commercial cloud's resource is refused there, a 401 that
 * no fresh token of the same scope mends.
 */
const SOVEREIGN_SCOPES: Readonly<Record<string, string>> = {
  "login.microsoftonline.us": "https://cognitiveservices.azure.us/.default",
  "login.chinacloudapi.cn": "https://cognitiveservices.azure.cn/.default",
};

/** The scope a token is asked for: `scope` when given, else Azure OpenAI's in the authority's cloud (the commercial one's for any other host). */
function entraScope(credentials: EntraCredentials): string {
  if (credentials.scope) return credentials.scope;
  return SOVEREIGN_SCOPES[hostOf(credentials.authority_host ?? COMMERCIAL_AUTHORITY)] ?? COMMERCIAL_SCOPE;
}

const hostOf = (url: string): string => {
  try {
    return new URL(url).hostname;
  } catch {
    return "";
  }
};

/**
 * A bearer token for Azure OpenAI from Entra ID, cached and refreshed: the client credentials
 * flow with a client secret or a workload identity's federated token (a client assertion), or a
 * managed identity's endpoint.
 */
export function entraToken(
  provider: string,
  credentials: EntraCredentials,
  calls: EntraCalls = {},
): CachedCredential<string> {
  const { env = process.env } = calls;
  const scope = entraScope(credentials);
  const managed = credentials.managed_identity;
  /** An unannounced IMDS has given a token: it is there, and waited for as any. */
  let found = !credentials.unannounced;
  return cachedCredential(calls, async (doFetch, now) => {
    if (!managed) return clientCredentialsToken(provider, credentials, scope, doFetch, now);
    const token = await managedIdentityToken(
      provider,
      scope,
      managed === true ? undefined : managed.client_id,
      env,
      doFetch,
      now,
      found,
    );
    found = true;
    return token;
  });
}

/** Entra ID's client credentials flow, proven by the client secret or the federated token file's JWT. */
async function clientCredentialsToken(
  provider: string,
  credentials: EntraCredentials,
  scope: string,
  doFetch: typeof fetch,
  now: () => number,
): Promise<Expiring<string>> {
  const { tenant_id, client_id, client_secret, federated_token_file } = credentials;
  if (!tenant_id || !client_id || !(client_secret || federated_token_file))
    throw credentialFailure(
      provider,
      "entra needs tenant_id, client_id and a client_secret or federated_token_file",
    );
  const authority = (credentials.authority_host ?? COMMERCIAL_AUTHORITY).replace(/\/+$/, "");
  const url = `${authority}/${encodeURIComponent(tenant_id)}/oauth2/v2.0/token`;
  const proof: Record<string, string> = federated_token_file
    ? {
        client_assertion_type: JWT_BEARER,
        client_assertion: await federatedToken(provider, federated_token_file),
      }
    : { client_secret: client_secret ?? "" };
  return fetchOAuthToken(
    provider,
    url,
    { grant_type: "client_credentials", client_id, ...proof, scope },
    doFetch,
    now,
  );
}

/** The federated token file's JWT, read at each fetch: the kubelet writes a fresh one before the last expires. */
async function federatedToken(provider: string, path: string): Promise<string> {
  const token = await readTokenFile(provider, path, "the federated token file");
  if (!token) throw credentialFailure(provider, "the federated token file is empty", { detail: path });
  return token;
}

/**
 * A managed identity's token for the scope's resource, from IMDS or App Service's endpoint.
 * `found`: false for an unannounced IMDS that has given none yet (`EntraCredentials.unannounced`).
 */
async function managedIdentityToken(
  provider: string,
  scope: string,
  clientId: string | undefined,
  env: Record<string, string | undefined>,
  doFetch: typeof fetch,
  now: () => number,
  found: boolean,
): Promise<Expiring<string>> {
  const request = managedIdentityRequest(resourceOf(scope), clientId, env);
  if (typeof request === "string") throw credentialFailure(provider, request);
  if (found) return requestToken(provider, request, readManagedIdentityToken, doFetch, now);
  return requestToken(provider, { ...request, timeoutMs: PROBE_MS }, readManagedIdentityToken, doFetch, now, {
    unanswered: (why) =>
      `no api_key or entra in config, no Entra identity in the environment (${ENTRA_ENVIRONMENT}), and ${why}`,
  });
}

/** Azure Identity's wait for its IMDS probe: off Azure, nothing answers at the link-local address. */
const PROBE_MS = 1_000;
