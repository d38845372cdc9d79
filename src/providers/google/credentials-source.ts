import { existsSync } from "node:fs";
import { join } from "node:path";
import type { CredentialsFile } from "./credentials-file.ts";
import { isInline } from "./credentials-file.ts";

export type Env = Record<string, string | undefined>;

/** Where a Vertex AI provider's token comes from: a credentials file, or the metadata server. */
export type CredentialsSource =
  | { readonly kind: "file"; readonly file: CredentialsFile }
  /**
   * `tried`: what was looked for first, for the failure of a metadata server that is not there
   * (no path in it: a caller reads it); `wellKnown`: where gcloud's file was looked for.
   */
  | { readonly kind: "metadata"; readonly tried: string; readonly wellKnown?: string };

/**
 * Application Default Credentials as Google's libraries look for them, after the provider's own
 * `service_account`: the file `GOOGLE_APPLICATION_CREDENTIALS` names; else gcloud's
 * `application_default_credentials.json` where `gcloud auth application-default login` wrote it;
 * else the metadata server (GCE, GKE Workload Identity, Cloud Run, Cloud Functions). Read at a
 * provider's first call; `exists` is the file check (injected in tests).
 */
export function credentialsSource(
  serviceAccount: string | undefined,
  env: Env,
  platform: NodeJS.Platform = process.platform,
  exists: (path: string) => boolean = existsSync,
): CredentialsSource {
  if (serviceAccount)
    return {
      kind: "file",
      file: {
        source: serviceAccount,
        label: isInline(serviceAccount) ? "the inline service_account" : "the service_account file",
      },
    };
  const named = env.GOOGLE_APPLICATION_CREDENTIALS;
  if (named)
    return {
      kind: "file",
      file: { source: named, label: "the GOOGLE_APPLICATION_CREDENTIALS file" },
    };
  const wellKnown = gcloudAdcFile(env, platform);
  if (wellKnown !== undefined && exists(wellKnown))
    return {
      kind: "file",
      file: { source: wellKnown, label: "gcloud's application default credentials file" },
    };
  return {
    kind: "metadata",
    tried:
      "no service_account in config, GOOGLE_APPLICATION_CREDENTIALS unset, no gcloud application default credentials file",
    ...(wellKnown === undefined ? {} : { wellKnown }),
  };
}

/**
 * Where gcloud keeps application default credentials: in `CLOUDSDK_CONFIG` when set (gcloud, and
 * Google's Go and Python libraries, honour it), else `%APPDATA%\gcloud` on Windows, else
 * `~/.config/gcloud`.
 */
export function gcloudAdcFile(env: Env, platform: NodeJS.Platform): string | undefined {
  const FILE = "application_default_credentials.json";
  if (env.CLOUDSDK_CONFIG) return join(env.CLOUDSDK_CONFIG, FILE);
  if (platform === "win32") return env.APPDATA ? join(env.APPDATA, "gcloud", FILE) : undefined;
  return env.HOME ? join(env.HOME, ".config", "gcloud", FILE) : undefined;
}
