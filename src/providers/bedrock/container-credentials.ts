import type { Expiring } from "../credentials/cached-credential.ts";
import { credentialFailure } from "../credentials/credential-failure.ts";
import { fetchText } from "../credentials/fetch-token.ts";
import { expiry, keysReply, safeJson, withToken } from "./aws-credential-fetch.ts";
import type { AwsCredentials } from "./aws-credentials.ts";

type Env = Record<string, string | undefined>;

/**
 * The keys of the container credentials endpoint (`AWS_CONTAINER_CREDENTIALS_FULL_URI` or
 * `_RELATIVE_URI`, with `AWS_CONTAINER_AUTHORIZATION_TOKEN[_FILE]`): ECS, EKS Pod Identity.
 */
export async function containerCredentials(
  provider: string,
  env: Env,
  doFetch: typeof fetch,
): Promise<Expiring<AwsCredentials>> {
  const url =
    env.AWS_CONTAINER_CREDENTIALS_FULL_URI ||
    `http://169.254.170.2${env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI}`;
  const headers: Record<string, string> = {};
  const token = env.AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE
    ? (await Bun.file(env.AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE).text()).trim()
    : env.AWS_CONTAINER_AUTHORIZATION_TOKEN;
  if (token) headers.authorization = token;
  // ECS's 169.254.170.2, EKS Pod Identity's agent, or a loopback FULL_URI: straight to it, no proxy.
  const what = "the container credentials endpoint";
  const reply = await fetchText(
    provider,
    { url, init: { headers }, what, timeoutMs: 10_000, direct: true },
    doFetch,
  );
  const parsed = keysReply.safeParse(safeJson(reply));
  if (!parsed.success) throw credentialFailure(provider, "the container credentials endpoint sent no keys");
  const { AccessKeyId, SecretAccessKey, Token, Expiration } = parsed.data;
  return { value: withToken(AccessKeyId, SecretAccessKey, Token), expiresAt: expiry(Expiration) };
}
