import type { Expiring } from "../credentials/cached-credential.ts";
import { CredentialFailure, credentialFailure, whyOf } from "../credentials/credential-failure.ts";
import { fetchText } from "../credentials/fetch-token.ts";
import { readTokenFile } from "../credentials/token-file.ts";
import { endpointKeys, expiringKeys } from "./aws-credential-fetch.ts";
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
 * agent restarting answers within seconds, one not there fails in about eight (with
 * `askOnceMore`), where one ask given ten seconds failed at a 500 or a blip.
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
 * is the failure; the token file before the token. Then, as the JS chain does
 * (@aws-sdk/credential-provider-node's remoteProvider and credential_source = EcsContainer:
 * `chain(fromHttp, fromContainerMetadata)`), `askOnceMore`. The token is given to `hold` before it
 * is sent (aws-credentials.ts): an endpoint's refusal may quote it, and no config names it.
 */
export async function containerCredentials(ask: ContainerAsk): Promise<Expiring<AwsCredentials>> {
  const { provider, env } = ask;
  const full = env.AWS_CONTAINER_CREDENTIALS_FULL_URI;
  const relative = env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI;
  // A refused FULL_URI is thrown while the SDK's chain is built (fromHttp's checkUrl): no link asks.
  const url = relative || !full ? ecsUrl(relative) : refuseUnsafeFullUri(provider, full);
  try {
    return await askEndpoint(ask, url, HTTP_TRIES, () => authorization(provider, env));
  } catch (error) {
    // fromHttp's request failures are CredentialsProviderErrors, which let the chain try its next
    // link; its token file's read error is thrown as fs.readFile throws it, which ends the chain.
    if (!(error instanceof CredentialFailure) || unreadTokenFile.has(error)) throw error;
    return askOnceMore(ask, error);
  }
}

/**
 * The JS chain's second link, `fromContainerMetadata` (@smithy/credential-provider-imds), asked
 * after fromHttp's four tries failed: once (`maxRetries` 0), given a second (`timeout` 1000), with
 * `AWS_CONTAINER_AUTHORIZATION_TOKEN` alone (it never reads the token file), at ECS's endpoint for
 * `_RELATIVE_URI`, else at a `FULL_URI` only of host `localhost` or `127.0.0.1` (Greengrass's),
 * any other (EKS Pod Identity's 169.254.170.23, an https host) refused before anything is sent.
 * Its failure says both: fromHttp's last, then its own.
 */
async function askOnceMore(ask: ContainerAsk, first: CredentialFailure): Promise<Expiring<AwsCredentials>> {
  const { provider, env } = ask;
  try {
    const url = greengrassUrl(provider, env);
    return await askEndpoint(ask, url, 1, async () => env.AWS_CONTAINER_AUTHORIZATION_TOKEN);
  } catch (second) {
    if (!(second instanceof CredentialFailure)) throw second;
    throw credentialFailure(
      provider,
      `${whyOf(provider, first)} (fromHttp's four tries), and asked once more (fromContainerMetadata's one): ${whyOf(provider, second)}`,
      { cause: second, detail: first.detail ?? second.detail },
      second.retryAfterMs,
      second.answered,
    );
  }
}

/** The URL fromContainerMetadata asks: ECS's for `_RELATIVE_URI`, else a `FULL_URI` at its hosts. */
function greengrassUrl(provider: string, env: Env): string {
  const full = env.AWS_CONTAINER_CREDENTIALS_FULL_URI;
  const relative = env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI;
  if (relative || !full) return ecsUrl(relative);
  // A URL: fromHttp's check passed it (refuseUnsafeFullUri).
  const { hostname } = new URL(full);
  if (GREENGRASS_HOSTS.has(hostname)) return full;
  throw credentialFailure(provider, `it asks a FULL_URI only at localhost or 127.0.0.1, not ${hostname}`);
}

/** The hosts fromContainerMetadata asks at a `FULL_URI` (its `GREENGRASS_HOSTS`). */
const GREENGRASS_HOSTS: ReadonlySet<string> = new Set(["localhost", "127.0.0.1"]);

const WHAT = "the container credentials endpoint";

/** ECS's endpoint for `_RELATIVE_URI`, a path (the AWS SDKs' fixed 169.254.170.2). */
const ecsUrl = (relative: string | undefined) => `http://169.254.170.2${relative ?? ""}`;

/** Token files that could not be read: fromHttp's failures that end the chain (above). */
const unreadTokenFile = new WeakSet<Error>();

/**
 * fromHttp's `Authorization`: the token file's (read at each try, as fromHttp reads it inside its
 * retry: EKS rotates it, and an agent may not have written it yet), else the token.
 */
const authorization = async (provider: string, env: Env): Promise<string | undefined> => {
  const path = env.AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE;
  if (!path) return env.AWS_CONTAINER_AUTHORIZATION_TOKEN;
  const what = "the container authorization token file (AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE)";
  return readTokenFile(provider, path, what).catch((error: unknown) => {
    if (error instanceof Error) unreadTokenFile.add(error);
    throw error;
  });
};

/**
 * One endpoint's keys, asked up to `tries` times, `TRY_MS` apart, with the `Authorization` `token`
 * answers (at each try); the failure is the last try's. A token that cannot be read is a failed
 * try, as in fromHttp.
 */
async function askEndpoint(
  ask: ContainerAsk,
  url: string,
  tries: number,
  token: () => Promise<string | undefined>,
): Promise<Expiring<AwsCredentials>> {
  for (let tried = 1; ; tried++) {
    try {
      return await askOnce(ask, url, await token());
    } catch (error) {
      if (tried >= tries || !(error instanceof CredentialFailure)) throw error;
      await (ask.pause ?? Bun.sleep)(TRY_MS);
    }
  }
}

async function askOnce(
  { provider, fetch: doFetch, hold }: ContainerAsk,
  url: string,
  token: string | undefined,
): Promise<Expiring<AwsCredentials>> {
  if (token !== undefined) hold?.([token]);
  const headers: Record<string, string> = token ? { authorization: token } : {};
  // ECS's 169.254.170.2, EKS Pod Identity's agent, or a loopback FULL_URI: straight to it, no proxy.
  const reply = await fetchText(
    provider,
    { url, init: { headers }, what: WHAT, timeoutMs: TRY_MS, direct: true },
    doFetch,
  );
  return expiringKeys(endpointKeys(provider, WHAT, reply));
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
