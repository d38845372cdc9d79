import { z } from "zod";
import { CachedCredential } from "../credentials/cached-credential.ts";
import { credentialFailure, fetchOAuthToken } from "../credentials/fetch-token.ts";

/** The fields of a Google service-account key file (JSON) that signing needs. */
export const serviceAccountKey = z.looseObject({
  client_email: z.string(),
  private_key: z.string(),
  private_key_id: z.string().optional(),
  token_uri: z.string().default("https://oauth2.googleapis.com/token"),
});
export type ServiceAccountKey = z.infer<typeof serviceAccountKey>;

const SCOPE = "https://www.googleapis.com/auth/cloud-platform";

/**
 * An OAuth access token for a service account (the JWT bearer grant): a JWT signed with the
 * key's RS256 private key is exchanged at `token_uri`; the token is cached until shortly
 * before it expires.
 */
export function serviceAccountToken(
  provider: string,
  key: ServiceAccountKey,
  doFetch: typeof fetch = fetch,
  now: () => number = Date.now,
): CachedCredential<string> {
  return new CachedCredential({
    now,
    fetch: async () => {
      let assertion: string;
      try {
        // jose is loaded on the first token, not at start (docs/BENCHMARKS-HISTORY.md, idle RSS).
        const { importPKCS8, SignJWT } = require("jose") as typeof import("jose");
        const privateKey = await importPKCS8(key.private_key, "RS256");
        const issuedAt = Math.floor(now() / 1000);
        assertion = await new SignJWT({ scope: SCOPE })
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
    },
  });
}

/** Reads a service-account key from inline JSON or a file path. */
export async function loadServiceAccountKey(source: string): Promise<ServiceAccountKey> {
  const text = source.trimStart().startsWith("{") ? source : await Bun.file(source).text();
  return serviceAccountKey.parse(JSON.parse(text));
}
