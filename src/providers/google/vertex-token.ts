import type { CachedCredential, CredentialCalls } from "../credentials/cached-credential.ts";
import type { TokenSource } from "../credentials/call-auth.ts";
import { credentialFailure } from "../credentials/credential-failure.ts";
import { authorizedUserToken } from "./authorized-user-token.ts";
import { loadCredentials } from "./credentials-file.ts";
import { credentialsSource, type Env } from "./credentials-source.ts";
import { metadataServerToken } from "./metadata-server-token.ts";
import { serviceAccountToken } from "./service-account-token.ts";

export interface VertexTokenOptions extends CredentialCalls {
  provider: string;
  /** The provider's `service_account` (a key file path or inline JSON); else the environment's ADC. */
  serviceAccount: string | undefined;
  env?: Env;
  /** The metadata server's wait for a first answer (metadata-server-token.ts). */
  detectMs?: number;
}

/**
 * The bearer token source for a Vertex AI provider: a service-account key or a user's refresh
 * token from a credentials file, or the metadata server, as credentials-source.ts finds them. The
 * source is found and its file read on first use, so a missing file fails that request with a
 * clear 502 rather than the whole config load (and is looked for again at the next call); the
 * token is then cached and refreshed before it expires, or at once when Google refuses it
 * (`invalidate`).
 */
export function vertexToken(options: VertexTokenOptions): TokenSource {
  const { provider, env = process.env, detectMs, ...calls } = options;
  let source: Promise<CachedCredential<string>> | undefined;
  let loaded: CachedCredential<string> | undefined;
  const open = async (): Promise<CachedCredential<string>> => {
    const found = credentialsSource(options.serviceAccount, env);
    if (found.kind === "metadata")
      return metadataServerToken({
        provider,
        env,
        tried: found.tried,
        ...calls,
        ...(detectMs === undefined ? {} : { detectMs }),
      });
    const credentials = await loadCredentials(found.file);
    if (typeof credentials === "string") throw credentialFailure(provider, credentials);
    return credentials.type === "authorized_user"
      ? authorizedUserToken(provider, credentials.user, calls)
      : serviceAccountToken(provider, credentials.key, calls);
  };
  const get = async () => {
    source ??= open().catch((error: unknown) => {
      source = undefined;
      throw error;
    });
    loaded = await source;
    return loaded.get();
  };
  return { get, invalidate: (refused) => loaded?.invalidate(refused) ?? false };
}
