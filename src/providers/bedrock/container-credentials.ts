import type { Expiring } from "../credentials/cached-credential.ts";
import { CredentialFailure, credentialFailure } from "../credentials/credential-failure.ts";
import { fetchText } from "../credentials/fetch-token.ts";
import { readTokenFile } from "../credentials/token-file.ts";
import { expiry, keysReply, safeJson, withToken } from "./aws-credential-fetch.ts";
import type { AwsCredentials } from "./aws-credentials.ts";

type Env = Record<string, string | undefined>;

/** What the container endpoint is asked with: the chain's (aws-profile-credentials.ts ProfileContext). */
export interface ContainerAsk {
  provider: string;
  env: Env;
  fetch: typeof fetch;
  /** Told the authorization token before it is sent (aws-credentials.ts). */
  hold?: ((secrets: readonly string[]) => void) | undefined;
  /** Waits between tries (default: a timer; tests record them). */
  pause?: ((ms: number) => Promise<void>) | undefined;
}

/**
 * `fromHttp`'s tries (@aws-sdk/credential-provider-http: maxRetries 3, four in all), on any
 * failure, each given `TRY_MS` and the next `TRY_MS` after (its timeout is also its delay). An
 * agent restarting answers within seconds, one not there fails in about seven, where one ask
 * given ten seconds failed at a 500 or a blip.
 */
const HTTP_TRIES = 4;
const TRY_MS = 1_000;

/**
 * The keys of the container credentials endpoint (`AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` or
 * `_FULL_URI`, with `AWS_CONTAINER_AUTHORIZATION_TOKEN[_FILE]`): ECS, EKS Pod Identity, asked as
 * the AWS SDK for JavaScript's `fromHttp` asks them (@aws-sdk/credential-provider-http since
 * aws/aws-sdk-js-v3#8159, as the SDKs' reference and botocore have it): both URIs set, ECS's
 * `_RELATIVE_URI` at 169.254.170.2 ("awsContainerCredentialsRelativeUri will take precedence"),
 * `FULL_URI` then neither checked nor asked; a `FULL_URI` refused before it is asked (`checkUrl`)
 * is the failure; the token file before the token. The JS chain's `fromContainerMetadata`, which
 * asks the same endpoint once more after `fromHttp`'s four tries, is not repeated here. The token
 * is given to `hold` before it is sent (aws-credentials.ts): an endpoint's refusal may quote it,
 * and no config names it.
 */
export async function containerCredentials(ask: ContainerAsk): Promise<Expiring<AwsCredentials>> {
  const { provider, env } = ask;
  const full = env.AWS_CONTAINER_CREDENTIALS_FULL_URI;
  const relative = env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI;
  const url = relative || !full ? ecsUrl(relative) : refuseUnsafeFullUri(provider, full);
  return askEndpoint(ask, url, WHAT, HTTP_TRIES);
}

const WHAT = "the container credentials endpoint";

/** ECS's endpoint for `_RELATIVE_URI`, a path (the AWS SDKs' fixed 169.254.170.2). */
const ecsUrl = (relative: string | undefined) => `http://169.254.170.2${relative ?? ""}`;

/**
 * The `Authorization` to send: the token file's (read at each try, as fromHttp reads it inside its
 * retry: EKS rotates it, and an agent may not have written it yet), else the token.
 */
const authorization = async (provider: string, env: Env): Promise<string | undefined> =>
  env.AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE
    ? readTokenFile(
        provider,
        env.AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE,
        "the container authorization token file (AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE)",
      )
    : env.AWS_CONTAINER_AUTHORIZATION_TOKEN;

/**
 * One endpoint's keys, asked up to `tries` times, `TRY_MS` apart; `what` names it in a failure, the
 * last try's. A token file that cannot be read is a failed try, as in fromHttp.
 */
async function askEndpoint(
  ask: ContainerAsk,
  url: string,
  what: string,
  tries: number,
): Promise<Expiring<AwsCredentials>> {
  for (let tried = 1; ; tried++) {
    try {
      return await askOnce(ask, url, what);
    } catch (error) {
      if (tried >= tries || !(error instanceof CredentialFailure)) throw error;
      await (ask.pause ?? Bun.sleep)(TRY_MS);
    }
  }
}

async function askOnce(
  { provider, env, fetch: doFetch, hold }: ContainerAsk,
  url: string,
  what: string,
): Promise<Expiring<AwsCredentials>> {
  const token = await authorization(provider, env);
  if (token !== undefined) hold?.([token]);
  const headers: Record<string, string> = token ? { authorization: token } : {};
  // ECS's 169.254.170.2, EKS Pod Identity's agent, or a loopback FULL_URI: straight to it, no proxy.
  const reply = await fetchText(
    provider,
    { url, init: { headers }, what, timeoutMs: TRY_MS, direct: true },
    doFetch,
  );
  const parsed = keysReply.safeParse(safeJson(reply));
  if (!parsed.success) throw credentialFailure(provider, `${what} sent no keys`);
  const { AccessKeyId, SecretAccessKey, Token, Expiration } = parsed.data;
  return { value: withToken(AccessKeyId, SecretAccessKey, Token), expiresAt: expiry(Expiration) };
}

/**
 * A `FULL_URI` the AWS SDKs ask (their `checkUrl`, @aws-sdk/credential-provider-http): any https
 * URL, and plain http only to a loopback address (`127.0.0.0/8`, `localhost`, `[::1]`), ECS's
 * 169.254.170.2 or EKS Pod Identity's agent (169.254.170.23, `[fd00:ec2::23]`). Another would be
 * sent the authorization token in the clear, across the network, and its keys trusted: refused
 * before anything is sent, as the SDKs refuse it. Answers the URL to ask.
 */
function refuseUnsafeFullUri(provider: string, full: string): string {
  let url: URL;
  try {
    url = new URL(full);
  } catch {
    throw credentialFailure(provider, "AWS_CONTAINER_CREDENTIALS_FULL_URI is no URL");
  }
  if (url.protocol === "https:" || CONTAINER_HOSTS.has(url.hostname) || LOOPBACK_V4.test(url.hostname))
    return full;
  throw credentialFailure(
    provider,
    `AWS_CONTAINER_CREDENTIALS_FULL_URI is plain http to ${url.hostname}, which is no loopback, ECS (169.254.170.2) or EKS Pod Identity (169.254.170.23, [fd00:ec2::23]) address: use https`,
  );
}

/** The hosts a plain-http `FULL_URI` may name besides `127.x.x.x` (URL writes `[0:…:1]` as `[::1]`). */
const CONTAINER_HOSTS: ReadonlySet<string> = new Set([
  "169.254.170.2",
  "169.254.170.23",
  "[fd00:ec2::23]",
  "localhost",
  "[::1]",
]);
const LOOPBACK_V4 = /^127(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
