import { holdCredentials } from "../../core/credentials.ts";
import { CachedCredential, type CredentialCalls, type Expiring } from "../credentials/cached-credential.ts";
import { credentialFailure } from "../credentials/credential-failure.ts";
import { fetchText } from "../credentials/fetch-token.ts";
import { expiry, keysReply, safeJson, withToken } from "./aws-credential-fetch.ts";
import { instanceMetadataCredentials } from "./ec2-instance-metadata.ts";

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** Static keys from config; when absent, the steps of `awsCredentialSource` are taken. */
export interface AwsCredentialConfig {
  access_key_id?: string | undefined;
  secret_access_key?: string | undefined;
  session_token?: string | undefined;
}

type Env = Record<string, string | undefined>;

export interface AwsCredentialSourceOptions extends CredentialCalls {
  provider: string;
  region: string;
  config: AwsCredentialConfig;
  env?: Env;
}

/**
 * The credentials a Bedrock provider signs with, resolved in these steps (the AWS SDKs' chain
 * without its shared config and credentials files): static keys in config; else
 * `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`(/`AWS_SESSION_TOKEN`); else a web identity token
 * file (`AWS_WEB_IDENTITY_TOKEN_FILE` + `AWS_ROLE_ARN`, as on EKS) exchanged at STS; else the
 * container credentials endpoint (`AWS_CONTAINER_CREDENTIALS_FULL_URI` or `_RELATIVE_URI`, as on
 * ECS and EKS Pod Identity); else EC2 instance metadata (ec2-instance-metadata.ts), unless
 * `AWS_EC2_METADATA_DISABLED`. Temporary credentials are cached and refreshed before expiry.
 */
export function awsCredentialSource(options: AwsCredentialSourceOptions): CachedCredential<AwsCredentials> {
  const env = options.env ?? process.env;
  const doFetch = options.fetch ?? fetch;
  const { config, provider } = options;
  const forever = (value: AwsCredentials): Expiring<AwsCredentials> => ({ value, expiresAt: Infinity });
  let fetchCredentials: () => Promise<Expiring<AwsCredentials>>;
  if (config.access_key_id && config.secret_access_key) {
    const value = withToken(config.access_key_id, config.secret_access_key, config.session_token);
    fetchCredentials = async () => forever(value);
  } else if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    const value = withToken(env.AWS_ACCESS_KEY_ID, env.AWS_SECRET_ACCESS_KEY, env.AWS_SESSION_TOKEN);
    fetchCredentials = async () => forever(value);
  } else if (env.AWS_WEB_IDENTITY_TOKEN_FILE && env.AWS_ROLE_ARN) {
    fetchCredentials = () => assumeRoleWithWebIdentity(provider, options.region, env, doFetch);
  } else if (env.AWS_CONTAINER_CREDENTIALS_FULL_URI || env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI) {
    fetchCredentials = () => containerCredentials(provider, env, doFetch);
  } else {
    fetchCredentials = instanceMetadataCredentials(provider, env, doFetch);
  }
  const holder = {};
  const fetchAndHold = async () => {
    const got = await fetchCredentials();
    holdCredentials(holder, secretsOf(got.value));
    return got;
  };
  const credential = new CachedCredential({
    fetch: fetchAndHold,
    ...(options.now ? { now: options.now } : {}),
    refreshFailed: options.refreshFailed,
  });
  unheldWhenGone.register(credential, holder);
  return credential;
}

/**
 * The secret and the session token a source gave, taken out of what the gateway tells and writes
 * from the moment they are fetched, as config's keys are (configured-credentials.ts): keys from
 * the environment, STS, the container endpoint or instance metadata are named nowhere in config,
 * neither has a known shape, and an AWS refusal may quote its signing material (a signature
 * mismatch's canonical request names `x-amz-security-token`). Each fetch replaces the last's.
 */
const secretsOf = (keys: AwsCredentials): string[] =>
  keys.sessionToken ? [keys.secretAccessKey, keys.sessionToken] : [keys.secretAccessKey];

/** A source gone (its provider replaced by a reload and collected) lets go of what it held. */
const unheldWhenGone = new FinalizationRegistry<object>((holder) => holdCredentials(holder, []));

async function containerCredentials(
  provider: string,
  env: Env,
  doFetch: typeof fetch,
): Promise<Expiring<AwsCredentials>> {
  const url =
    env.AWS_CONTAINER_CREDENTIALS_FULL_URI ??
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

async function assumeRoleWithWebIdentity(
  provider: string,
  region: string,
  env: Env,
  doFetch: typeof fetch,
): Promise<Expiring<AwsCredentials>> {
  const token = (await Bun.file(env.AWS_WEB_IDENTITY_TOKEN_FILE ?? "").text()).trim();
  const endpoint = env.AWS_ENDPOINT_URL_STS ?? env.AWS_ENDPOINT_URL ?? `https://sts.${region}.amazonaws.com`;
  const query = new URLSearchParams({
    Action: "AssumeRoleWithWebIdentity",
    Version: "2011-06-15",
    RoleArn: env.AWS_ROLE_ARN ?? "",
    RoleSessionName: env.AWS_ROLE_SESSION_NAME ?? "mindgw",
    WebIdentityToken: token,
  });
  // POST with a form body: the token never sits in a URL that a proxy might log.
  const xml = await fetchText(
    provider,
    {
      url: endpoint,
      init: {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: query.toString(),
      },
      what: "STS",
      timeoutMs: 10_000,
    },
    doFetch,
  );
  const field = (name: string) => new RegExp(`<${name}>([^<]+)</${name}>`).exec(xml)?.[1];
  const accessKeyId = field("AccessKeyId");
  const secretAccessKey = field("SecretAccessKey");
  if (!accessKeyId || !secretAccessKey) throw credentialFailure(provider, "STS sent no credentials");
  return {
    value: withToken(accessKeyId, secretAccessKey, field("SessionToken")),
    expiresAt: expiry(field("Expiration")),
  };
}
