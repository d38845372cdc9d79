import type { Expiring } from "../credentials/cached-credential.ts";
import { credentialFailure } from "../credentials/credential-failure.ts";
import { fetchText, type TokenRequest } from "../credentials/fetch-token.ts";
import { expiry, keysReply, safeJson, withToken } from "./aws-credential-fetch.ts";
import type { AwsCredentials } from "./aws-credentials.ts";

type Env = Record<string, string | undefined>;

const IMDS_ENDPOINT = "http://169.254.169.254";
const TOKEN_PATH = "/latest/api/token";
const ROLES_PATH = "/latest/meta-data/iam/security-credentials/";
/**
 * The AWS SDKs' one second: off EC2 nothing answers at the link-local address, and a provider
 * with no credentials anywhere should say so at once, not after a token endpoint's thirty seconds.
 */
const TIMEOUT_MS = 1_000;

/** The chain's last step, in its failures' words: what was tried before it, and it. */
const WHAT =
  "no AWS credentials in config or the environment (AWS_ACCESS_KEY_ID, AWS_WEB_IDENTITY_TOKEN_FILE, AWS_CONTAINER_CREDENTIALS_*), and EC2 instance metadata";

/** AWS_EC2_METADATA_DISABLED set to anything but `false` turns the step off, as in the AWS SDKs. */
export const instanceMetadataDisabled = (env: Env): boolean =>
  env.AWS_EC2_METADATA_DISABLED !== undefined && env.AWS_EC2_METADATA_DISABLED.toLowerCase() !== "false";

/**
 * The instance profile's role credentials from EC2 instance metadata, IMDSv2 only (a session
 * token PUT first; IMDSv1's bare GETs are not sent): the role's name under
 * `/latest/meta-data/iam/security-credentials/`, then its keys. AWS_EC2_METADATA_SERVICE_ENDPOINT
 * points elsewhere (the SDKs' override: IPv6's `http://[fd00:ec2::254]`, a test's fake).
 */
export async function instanceMetadataCredentials(
  provider: string,
  env: Env,
  doFetch: typeof fetch,
): Promise<Expiring<AwsCredentials>> {
  if (instanceMetadataDisabled(env))
    throw credentialFailure(provider, `${WHAT} is disabled (AWS_EC2_METADATA_DISABLED)`);
  const base = (env.AWS_EC2_METADATA_SERVICE_ENDPOINT || IMDS_ENDPOINT).replace(/\/+$/, "");
  // Link-local: straight to it, never through a proxy.
  const get = (path: string, init: TokenRequest["init"]) =>
    fetchText(
      provider,
      { url: `${base}${path}`, init, what: WHAT, timeoutMs: TIMEOUT_MS, direct: true },
      doFetch,
    );
  const session = await get(TOKEN_PATH, {
    method: "PUT",
    headers: { "x-aws-ec2-metadata-token-ttl-seconds": "21600" },
  });
  const headers = { "x-aws-ec2-metadata-token": session.trim() };
  const role = (await get(ROLES_PATH, { headers })).split("\n")[0]?.trim();
  if (!role) throw credentialFailure(provider, `${WHAT} names no role (no instance profile attached)`);
  const parsed = keysReply.safeParse(safeJson(await get(ROLES_PATH + encodeURIComponent(role), { headers })));
  if (!parsed.success) throw credentialFailure(provider, `${WHAT} sent no keys`);
  const { AccessKeyId, SecretAccessKey, Token, Expiration, Code } = parsed.data;
  if (Code !== undefined && Code !== "Success")
    throw credentialFailure(provider, `${WHAT} sent no keys`, { detail: Code });
  return { value: withToken(AccessKeyId, SecretAccessKey, Token), expiresAt: expiry(Expiration) };
}
