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
 * failure, each given `TRY_MS` and the next `TRY_MS` after (its timeout is also its delay);
 * `fromContainerMetadata`'s one (@smithy/credential-provider-imds DEFAULT_MAX_RETRIES 0,
 * DEFAULT_TIMEOUT 1000). An agent restarting answers within seconds, one not there fails in
 * about seven, where one ask given ten seconds failed at a 500 or a blip.
 */
const HTTP_TRIES = 4;
const TRY_MS = 1_000;

/**
 * The keys of the container credentials endpoint (`AWS_CONTAINER_CREDENTIALS_FULL_URI` or
 * `_RELATIVE_URI`, with `AWS_CONTAINER_AUTHORIZATION_TOKEN[_FILE]`): ECS, EKS Pod Identity, asked
 * as the AWS SDK for JavaScript's default chain asks them (@aws-sdk/credential-provider-node
 * remoteProvider: `chain(fromHttp(init), fromContainerMetadata(init))`). Both URIs set, `FULL_URI`
 * first (`fromHttp` warns "awsContainerCredentialsFullUri will take precedence"; botocore and the
 * Rust SDK take `_RELATIVE_URI` first), and where it fails, ECS's `_RELATIVE_URI` at 169.254.170.2
 * (`fromContainerMetadata`, which sends `AWS_CONTAINER_AUTHORIZATION_TOKEN` alone, no token file).
 * A `FULL_URI` refused before it is asked is the failure (`checkUrl` throws as `fromHttp` is made,
 * before the chain runs). The token file before the token, as AWS's SDK reference and botocore
 * read them (the JS SDK's `fromHttp` takes the token first). The token is given to `hold` before
 * it is sent (aws-credentials.ts): an endpoint's refusal may quote it, and no config names it.
 */
export async function containerCredentials(ask: ContainerAsk): Promise<Expiring<AwsCredentials>> {
  const { provider, env, hold } = ask;
  const full = env.AWS_CONTAINER_CREDENTIALS_FULL_URI;
  const relative = env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI;
  // The fallback's token (the environment's alone) held with the first's: both may be sent.
  const held = async () => {
    const token = await authorization(provider, env);
    const secrets = [token, env.AWS_CONTAINER_AUTHORIZATION_TOKEN].filter((value) => value !== undefined);
    if (secrets.length > 0) hold?.(secrets);
    return token;
  };
  if (!full) return askEndpoint(ask, ecsUrl(relative), await held(), WHAT, HTTP_TRIES);
  refuseUnsafeFullUri(provider, full);
  // Read before the try: a token file that cannot be read is no endpoint's failure, and the JS
  // chain goes on only past a CredentialsProviderError, which fromHttp's read error is not.
  const token = await held();
  try {
    return await askEndpoint(ask, full, token, WHAT, HTTP_TRIES);
  } catch (error) {
    if (!relative || !(error instanceof CredentialFailure)) throw error;
    const what = `${WHAT} of AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (asked when AWS_CONTAINER_CREDENTIALS_FULL_URI's failed)`;
    return askEndpoint(ask, ecsUrl(relative), env.AWS_CONTAINER_AUTHORIZATION_TOKEN, what, 1).catch(
      (fallback: unknown) => {
        throw afterFullUri(fallback, error);
      },
    );
  }
}

/**
 * The fallback's failure, which the caller's 502 says, with FULL_URI's kept in its `detail` (the
 * log's alone): the operator reads why each endpoint failed, not only the last.
 */
function afterFullUri(fallback: unknown, first: CredentialFailure): unknown {
  if (!(fallback instanceof CredentialFailure)) return fallback;
  const firstWords = first.detail === undefined ? first.message : `${first.message} (${first.detail})`;
  const own = fallback.detail === undefined ? "" : `${fallback.detail}; `;
  const { status, code, message, retryable, cause } = fallback;
  return new CredentialFailure(
    {
      status,
      code,
      message,
      retryable,
      cause,
      detail: `${own}AWS_CONTAINER_CREDENTIALS_FULL_URI failed first: ${firstWords}`,
    },
    fallback.retryAfterMs,
    fallback.answered,
  );
}

const WHAT = "the container credentials endpoint";

/** ECS's endpoint for `_RELATIVE_URI`, a path (the AWS SDKs' fixed 169.254.170.2). */
const ecsUrl = (relative: string | undefined) => `http://169.254.170.2${relative ?? ""}`;

/** The `Authorization` to send: the token file's (read at each fetch: EKS rotates it), else the token. */
const authorization = async (provider: string, env: Env): Promise<string | undefined> =>
  env.AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE
    ? readTokenFile(
        provider,
        env.AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE,
        "the container authorization token file (AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE)",
      )
    : env.AWS_CONTAINER_AUTHORIZATION_TOKEN;

/** One endpoint's keys, asked up to `tries` times, `TRY_MS` apart; `what` names it in a failure, the last try's. */
async function askEndpoint(
  ask: ContainerAsk,
  url: string,
  token: string | undefined,
  what: string,
  tries: number,
): Promise<Expiring<AwsCredentials>> {
  for (let tried = 1; ; tried++) {
    try {
      return await askOnce(ask, url, token, what);
    } catch (error) {
      if (tried >= tries || !(error instanceof CredentialFailure)) throw error;
      await (ask.pause ?? Bun.sleep)(TRY_MS);
    }
  }
}

async function askOnce(
  { provider, fetch: doFetch }: ContainerAsk,
  url: string,
  token: string | undefined,
  what: string,
): Promise<Expiring<AwsCredentials>> {
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
 * before anything is sent, as the SDKs refuse it.
 */
function refuseUnsafeFullUri(provider: string, full: string): void {
  let url: URL;
  try {
    url = new URL(full);
  } catch {
    throw credentialFailure(provider, "AWS_CONTAINER_CREDENTIALS_FULL_URI is no URL");
  }
  if (url.protocol === "https:" || CONTAINER_HOSTS.has(url.hostname) || LOOPBACK_V4.test(url.hostname))
    return;
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
