import {
  type CachedCredential,
  type CredentialCalls,
  cachedCredential,
} from "../credentials/cached-credential.ts";
import { credentialFailure } from "../credentials/credential-failure.ts";
import { fetchOAuthToken } from "../credentials/fetch-token.ts";
import { CLOUD_PLATFORM_SCOPE, type ServiceAccountKey } from "./service-account-key.ts";

/**
 * An OAuth access token for a service account (the JWT bearer grant): a JWT signed with the
 * key's RS256 private key is exchanged at `token_uri`; the token is cached until shortly
 * before it expires.
 */
export function serviceAccountToken(
  provider: string,
  key: ServiceAccountKey,
  calls: CredentialCalls = {},
): CachedCredential<string> {
  return cachedCredential(calls, async (doFetch, now) => {
    let assertion: string;
    try {
      // jose is loaded on the first token, not at start (docs/BENCHMARKS-HISTORY.md, idle RSS).
      const { importPKCS8, SignJWT } = require("jose") as typeof import("jose");
      const privateKey = await importPKCS8(key.private_key, "RS256");
      const issuedAt = Math.floor(now() / 1000);
      assertion = await new SignJWT({ scope: CLOUD_PLATFORM_SCOPE })
        .setProtectedHeader({
          alg: "RS256",
          typ: "JWT",
          ...(key.private_key_id ? { kid: key.private_key_id } : {}),
        })
        .setIssuer(key.client_email)
        .setSubject(key.client_email)
        .setAudience(key.token_uri)
        .setIssuedAt(issuedAt)
        .setExpirationTime(issuedAt + 3600)
        .sign(privateKey);
    } catch {
      throw credentialFailure(provider, "the service-account private key could not sign");
    }
    return fetchOAuthToken(
      provider,
      key.token_uri,
      { grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer", assertion },
      doFetch,
      now,
    );
  });
}
