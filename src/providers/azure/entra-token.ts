import { CachedCredential, type CredentialCalls } from "../credentials/cached-credential.ts";
import { fetchOAuthToken } from "../credentials/fetch-token.ts";

/** Entra ID (Azure AD) app registration used for the client credentials flow. */
export interface EntraCredentials {
  tenant_id: string;
  client_id: string;
  client_secret: string;
  /**
   * Sovereign clouds use another authority (`https://login.microsoftonline.us`), whose tokens are
   * asked for that cloud's Azure OpenAI scope (`entraScope`).
   */
  authority_host?: string | undefined;
  /**
   * The scope asked for, where it is not Azure OpenAI's of the authority's cloud: Azure AI
   * Foundry's `https://ai.azure.com/.default`, an API proxy's app (`api://…/.default`).
   */
  scope?: string | undefined;
}

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

/** A bearer token for Azure OpenAI from Entra ID's client credentials flow, cached and refreshed. */
export function entraToken(
  provider: string,
  credentials: EntraCredentials,
  calls: CredentialCalls = {},
): CachedCredential<string> {
  const { fetch: doFetch = fetch, now = Date.now, refreshFailed } = calls;
  const authority = (credentials.authority_host ?? COMMERCIAL_AUTHORITY).replace(/\/+$/, "");
  const url = `${authority}/${encodeURIComponent(credentials.tenant_id)}/oauth2/v2.0/token`;
  const scope = entraScope(credentials);
  return new CachedCredential({
    now,
    refreshFailed,
    fetch: () =>
      fetchOAuthToken(
        provider,
        url,
        {
          grant_type: "client_credentials",
          client_id: credentials.client_id,
          client_secret: credentials.client_secret,
          scope,
        },
        doFetch,
        now,
      ),
  });
}
