import { credentialFailure } from "./credential-failure.ts";

/**
 * A token file's text, trimmed, read at each fetch (a kubelet or an agent writes a fresh one before
 * the last expires): Kubernetes' projected service account token for Entra's workload identity
 * and AWS's web identity, EKS Pod Identity's authorization token. One that cannot be read (not
 * there, not readable) is the call's 502 naming `what`; its path, which may name a user's home,
 * only in the log's `detail`.
 */
export async function readTokenFile(provider: string, path: string, what: string): Promise<string> {
  try {
    return (await Bun.file(path).text()).trim();
  } catch (error) {
    throw credentialFailure(provider, `${what} could not be read`, { cause: error, detail: path });
  }
}
