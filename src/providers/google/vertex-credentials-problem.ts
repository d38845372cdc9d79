import { credentialsProblem } from "./credentials-file.ts";
import { credentialsSource, type Env } from "./credentials-source.ts";
import { onGoogleCloud as residency } from "./google-cloud-residency.ts";

/**
 * What keeps a Vertex AI provider from a token, as far as can be told without a call (the start's
 * warning, `config check`): its credentials file missing or of no usable kind; or no file at all
 * on a host that does not look like Google Cloud, where no metadata server will answer. Undefined
 * when a file holds credentials, or the metadata server may serve them.
 */
export function vertexCredentialsProblem(
  serviceAccount: string | undefined,
  env: Env,
  onGoogleCloud: (env: Env) => boolean = residency,
): string | undefined {
  const found = credentialsSource(serviceAccount, env);
  if (found.kind === "file") return credentialsProblem(found.file);
  if (onGoogleCloud(env)) return undefined;
  const looked = found.wellKnown === undefined ? "" : ` (looked for ${found.wellKnown})`;
  return `${found.tried}${looked}, and this host does not look like Google Cloud (no metadata server to ask)`;
}
