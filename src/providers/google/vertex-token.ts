import type { CachedCredential, RefreshFailed } from "../credentials/cached-credential.ts";
import type { TokenSource } from "../credentials/call-auth.ts";
import { credentialFailure } from "../credentials/credential-failure.ts";
import { loadServiceAccountKey } from "./service-account-key.ts";
import { serviceAccountToken } from "./service-account-token.ts";

/**
 * The bearer token source for a Vertex AI provider. The key (a file path or inline JSON) is
 * read on first use, so a missing file fails that request with a clear 502 rather than the
 * whole config load; the token is then cached and refreshed before it expires, or at once when
 * Google refuses it (`invalidate`).
 */
export function vertexToken(
  provider: string,
  serviceAccount: string | undefined,
  refreshFailed?: RefreshFailed,
): TokenSource {
  let source: Promise<CachedCredential<string>> | undefined;
  let loaded: CachedCredential<string> | undefined;
  const get = async () => {
    if (!serviceAccount)
      throw credentialFailure(
        provider,
        "no service_account in config and GOOGLE_APPLICATION_CREDENTIALS is unset",
      );
    source ??= loadServiceAccountKey(serviceAccount)
      .then((key) => serviceAccountToken(provider, key, { refreshFailed }))
      .catch((error: unknown) => {
        source = undefined;
        throw error instanceof Error && error.name === "GatewayError"
          ? error
          : credentialFailure(provider, "the service-account key could not be read");
      });
    loaded = await source;
    return loaded.get();
  };
  return { get, invalidate: (refused) => loaded?.invalidate(refused) ?? false };
}
