import { holdCredentials } from "../../core/credentials.ts";
import type { CachedCredential, CredentialCalls } from "../credentials/cached-credential.ts";
import type { TokenSource } from "../credentials/call-auth.ts";
import { credentialFailure } from "../credentials/credential-failure.ts";
import { authorizedUserToken } from "./authorized-user-token.ts";
import { type GoogleCredentials, loadCredentials } from "./credentials-file.ts";
import { credentialsSource, type Env } from "./credentials-source.ts";
import { externalAccountToken } from "./external-account-token.ts";
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

/** A Vertex AI token, and the quota project its calls name (`x-goog-user-project`), if any. */
interface Opened {
  readonly credential: CachedCredential<string>;
  readonly quotaProject: string | undefined;
}

/**
 * The bearer token source for a Vertex AI provider: a service-account key, a user's refresh
 * token or a workload identity federation from a credentials file, or the metadata server, as credentials-source.ts finds them. The
 * source is found and its file read on first use, so a missing file fails that request with a
 * clear 502 rather than the whole config load (and is looked for again at the next call); the
 * token is then cached and refreshed before it expires, or at once when Google refuses it
 * (`invalidate`). Beside it, as google-auth-library sends it, `x-goog-user-project`: the
 * credentials file's `quota_project_id` (gcloud's user login has one, else Vertex bills gcloud's
 * own OAuth client's project and refuses the call), which `GOOGLE_CLOUD_QUOTA_PROJECT` overrides
 * for Application Default Credentials (an ADC file, the metadata server), not for the provider's
 * own `service_account`.
 */
export function vertexToken(options: VertexTokenOptions): TokenSource {
  const { provider, env = process.env, detectMs, ...calls } = options;
  let source: Promise<Opened> | undefined;
  let loaded: Opened | undefined;
  const adcQuota = options.serviceAccount ? undefined : env.GOOGLE_CLOUD_QUOTA_PROJECT || undefined;
  const open = async (): Promise<Opened> => {
    const found = credentialsSource(options.serviceAccount, env);
    if (found.kind === "metadata") {
      const credential = metadataServerToken({
        provider,
        env,
        tried: found.tried,
        ...calls,
        ...(detectMs === undefined ? {} : { detectMs }),
      });
      return { credential, quotaProject: adcQuota };
    }
    const credentials = await loadCredentials(found.file);
    if (typeof credentials === "string") throw credentialFailure(provider, credentials);
    holdSecrets(found.file.source, credentials);
    if (credentials.type === "authorized_user")
      return {
        credential: authorizedUserToken(provider, credentials.user, calls),
        quotaProject: adcQuota ?? credentials.user.quota_project_id,
      };
    if (credentials.type === "external_account")
      return {
        credential: externalAccountToken(provider, credentials.account, calls),
        quotaProject: adcQuota ?? credentials.account.quota_project_id,
      };
    return {
      credential: serviceAccountToken(provider, credentials.key, calls),
      quotaProject: adcQuota ?? credentials.key.quota_project_id,
    };
  };
  const get = async () => {
    source ??= open().catch((error: unknown) => {
      source = undefined;
      throw error;
    });
    loaded = await source;
    return loaded.credential.get();
  };
  return {
    get,
    invalidate: (refused) => loaded?.credential.invalidate(refused) ?? false,
    beside: (): Record<string, string> =>
      loaded?.quotaProject ? { "x-goog-user-project": loaded.quotaProject } : {},
  };
}

/**
 * A holder per credentials file for core/credentials.ts: a file read again replaces its own secrets.
 * Module-wide on purpose, beside the process-wide registry it feeds: a holder per token source
 * (per provider) would keep each replaced provider's secrets held for good, as providers are built
 * again at every config reload and a token source has no close to let go of them; keyed by the file,
 * the next provider's read of it takes the last one's place, and the map grows only by files read.
 */
const holders = new Map<string, object>();

/**
 * The secrets of a credentials file, taken out of what the gateway tells and writes (as config's
 * are: configured-credentials.ts) from the moment it is read: a file found by
 * GOOGLE_APPLICATION_CREDENTIALS or at gcloud's well-known path is named nowhere in config.
 */
function holdSecrets(source: string, credentials: GoogleCredentials): void {
  let holder = holders.get(source);
  if (!holder) {
    holder = {};
    holders.set(source, holder);
  }
  const secrets =
    credentials.type === "authorized_user"
      ? [credentials.user.client_secret, credentials.user.refresh_token]
      : credentials.type === "external_account"
        ? [credentials.account.client_secret ?? ""]
        : [credentials.key.private_key, credentials.key.private_key_id ?? ""];
  holdCredentials(holder, secrets);
}
