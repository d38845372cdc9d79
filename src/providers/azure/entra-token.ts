import { CachedCredential } from "../credentials/cached-credential.ts";
import { fetchOAuthToken } from "../credentials/fetch-token.ts";

/** Entra ID (Azure AD) app registration used for the client credentials flow. */
export interface EntraCredentials {
  tenant_id: string;
  client_id: string;
  client_secret: string;
  /** Sovereign clouds use another authority (`https://login.microsoftonline.us`). */
  authority_host?: string | undefined;
}

const SCOPE = "https://cognitiveservices.azure.com/.default";

/** A bearer token for Azure OpenAI from Entra ID's client credentials flow, cached and refreshed. */
export function entraToken(
  provider: string,
  credentials: EntraCredentials,
  doFetch: typeof fetch = fetch,
  now: () => number = Date.now,
): CachedCredential<string> {
  const authority = (credentials.authority_host ?? "https://login.microsoftonline.com").replace(/\/+$/, "");
  const url = `${authority}/${encodeURIComponent(credentials.tenant_id)}/oauth2/v2.0/token`;
  return new CachedCredential({
    now,
    fetch: () =>
      fetchOAuthToken(
        provider,
        url,
        {
          grant_type: "client_credentials",
          client_id: credentials.client_id,
          client_secret: credentials.client_secret,
          scope: SCOPE,
        },
        doFetch,
        now,
      ),
  });
}
