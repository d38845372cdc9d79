import {
  type CachedCredential,
  type CredentialCalls,
  cachedCredential,
} from "../credentials/cached-credential.ts";
import { requestToken, type TokenRequest } from "../credentials/fetch-token.ts";
import type { Env } from "./credentials-source.ts";
import { CLOUD_PLATFORM_SCOPE } from "./service-account-key.ts";

/** How long the metadata server has to answer before it is taken to be absent (gcp-metadata's 3 s off GCP). */
export const DETECT_MS = 3_000;
/** Once it has answered, it is waited for as long as a token endpoint. */
const FOUND_MS = 30_000;

export interface MetadataServerOptions extends CredentialCalls {
  provider: string;
  env: Env;
  /** What the chain looked for before (credentials-source.ts), said when no metadata server answers. */
  tried: string;
  /** The wait for a first answer (default `DETECT_MS`). */
  detectMs?: number;
}

/**
 * The metadata server's origin: `GCE_METADATA_HOST` (a host, with a port when it has one, or a
 * URL), else `GCE_METADATA_IP`, else `metadata.google.internal`. Google's libraries honour both
 * variables (an emulator, a test's loopback fake); the name, not 169.254.169.254, is the default,
 * so that off GCP the lookup fails at once rather than a connection to a tarpitted address hanging.
 */
export function metadataServerOrigin(env: Env): string {
  const host = env.GCE_METADATA_HOST || env.GCE_METADATA_IP || "metadata.google.internal";
  return (/^https?:\/\//.test(host) ? host : `http://${host}`).replace(/\/+$/, "");
}

/**
 * The token of the service account the runtime runs as (GCE, GKE Workload Identity, Cloud Run,
 * Cloud Functions), from the metadata server: `GET /computeMetadata/v1/instance/service-accounts/
 * default/token?scopes=…` with `Metadata-Flavor: Google`, as Google's auth libraries ask, answered
 * with `{access_token, expires_in, token_type}`, sent straight to it, never through a proxy. An
 * answer without that header back is no metadata server's (a proxy, a captive portal), whatever
 * its status. Until it first answers, it has `detectMs` to, so
 * a gateway off GCP fails its call in seconds with what was tried, then backs off as any fetch.
 */
export function metadataServerToken(options: MetadataServerOptions): CachedCredential<string> {
  const { provider, tried } = options;
  const origin = metadataServerOrigin(options.env);
  const url = `${origin}/computeMetadata/v1/instance/service-accounts/default/token?${new URLSearchParams({
    scopes: CLOUD_PLATFORM_SCOPE,
  })}`;
  let found = false;
  return cachedCredential(options, async (doFetch, now) => {
    const request: TokenRequest = {
      url,
      init: { headers: { "Metadata-Flavor": "Google" } },
      what: "the metadata server",
      timeoutMs: found ? FOUND_MS : (options.detectMs ?? DETECT_MS),
      direct: true,
    };
    const token = await requestToken(provider, request, undefined, doFetch, now, {
      detail: origin,
      // Never found: the gateway is likely not on GCP; say what else was looked for.
      unanswered: (why) => (found ? why : `no Google credentials found: ${tried}, and ${why}`),
      // Before the status: a proxy's or a portal's 403 or 404 is not the metadata server's.
      vouch: (response) =>
        response.headers.get("metadata-flavor") === "Google"
          ? undefined
          : "what answered at the metadata server's address is not Google's metadata server (no Metadata-Flavor: Google)",
      refused: (status) => REFUSALS[status],
    });
    found = true;
    return token;
  });
}

/** The metadata server's refusals that say what to do. */
const REFUSALS: Readonly<Record<number, string>> = {
  404: "the metadata server has no default service account (404): attach one to the instance or Cloud Run service, or on GKE bind the pod's Kubernetes service account with Workload Identity",
  403: "the metadata server refused a token (403): the instance's access scopes may not include cloud-platform",
};
