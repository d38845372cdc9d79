import type { Expiring } from "../credentials/cached-credential.ts";
import { credentialFailure } from "../credentials/credential-failure.ts";
import { fetchText } from "../credentials/fetch-token.ts";
import { readTokenFile } from "../credentials/token-file.ts";
import type { AwsClock } from "./aws-clock.ts";
import { expiry, secretsOf, withToken } from "./aws-credential-fetch.ts";
import type { AwsCredentials } from "./aws-credentials.ts";
import { awsEndpoint, STS } from "./aws-endpoint.ts";

type Env = Record<string, string | undefined>;

/** Who asks STS, and where: the Bedrock provider's region, or STS's configured endpoint (aws-endpoint.ts). */
export interface StsCaller {
  provider: string;
  region: string;
  env: Env;
  /** The profile named (`profile:` in config), whose shared settings may configure STS's endpoint. */
  profile?: string | undefined;
  fetch: typeof fetch;
  /**
   * Told each secret a request to STS is made with, before it is sent: the source credentials that
   * sign an AssumeRole (a source profile's keys, the environment's, a chained role's session, the
   * container's or instance's) and a web identity token. STS's refusal may quote them (a signature
   * mismatch's canonical request names `x-amz-security-token`), and none is named in config.
   */
  hold?: (secrets: readonly string[]) => void;
  /**
   * The provider's AWS clock (aws-clock.ts), the one its Bedrock calls are signed by: an AssumeRole
   * is signed by it, and STS's refusal of a signature dated off it corrects it.
   */
  clock?: AwsClock;
}

/** A web identity exchanged for a role's credentials (EKS's token file, or a profile's `web_identity_token_file`). */
export interface WebIdentity {
  tokenFile: string;
  roleArn: string;
  sessionName: string;
}

/** AssumeRole's parameters, as a profile gives them (`role_arn`, `role_session_name`, `external_id`, `duration_seconds`). */
export interface RoleToAssume {
  roleArn: string;
  sessionName: string;
  externalId?: string | undefined;
  durationSeconds: number;
}

/** STS's endpoint for `caller` (aws-endpoint.ts); FIPS asked beside a custom one fails the exchange, saying so. */
function endpointOf({ provider, env, region, profile }: StsCaller): string {
  const endpoint = awsEndpoint(STS, region, env, profile);
  if (endpoint.refused !== undefined) throw credentialFailure(provider, endpoint.refused);
  return endpoint.url;
}

/** STS's `AssumeRoleWithWebIdentity`: unsigned, the token its proof. */
export async function assumeRoleWithWebIdentity(
  caller: StsCaller,
  identity: WebIdentity,
): Promise<Expiring<AwsCredentials>> {
  const token = await readTokenFile(caller.provider, identity.tokenFile, "the web identity token file");
  caller.hold?.([token]);
  const form = new URLSearchParams({
    Action: "AssumeRoleWithWebIdentity",
    Version: "2011-06-15",
    RoleArn: identity.roleArn,
    RoleSessionName: identity.sessionName,
    WebIdentityToken: token,
  });
  return stsCall(
    caller,
    endpointOf(caller),
    { "content-type": "application/x-www-form-urlencoded" },
    form.toString(),
  );
}

/** STS's `AssumeRole`, signed (SigV4, service `sts`) with the source credentials. */
export async function assumeRole(
  caller: StsCaller,
  source: AwsCredentials,
  role: RoleToAssume,
): Promise<Expiring<AwsCredentials>> {
  const form = new URLSearchParams({
    Action: "AssumeRole",
    Version: "2011-06-15",
    RoleArn: role.roleArn,
    RoleSessionName: role.sessionName,
    DurationSeconds: String(role.durationSeconds),
  });
  if (role.externalId !== undefined) form.set("ExternalId", role.externalId);
  const body = form.toString();
  caller.hold?.(secretsOf(source));
  // Resolved once (it reads the shared config file): the host signed for is the host sent to.
  const url = endpointOf(caller);
  // Loaded on the first call, as for Bedrock's (bedrock-call.ts).
  const { AwsV4Signer } = require("aws4fetch") as typeof import("aws4fetch");
  const sign = async () => {
    const signed = await new AwsV4Signer({
      ...source,
      url,
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body,
      service: "sts",
      region: caller.region,
      datetime: caller.clock?.signingDate(),
    }).sign();
    return signed.headers;
  };
  const { clock } = caller;
  const doFetch = clock ? signedAgainOffClock(caller.fetch, clock, sign) : caller.fetch;
  return stsCall({ ...caller, fetch: doFetch }, url, await sign(), body);
}

/**
 * `doFetch`, but a refusal of the signature as dated off AWS's clock (STS's 403
 * SignatureDoesNotMatch "Signature expired: …", its `Date` five minutes or more from `clock`)
 * corrects the clock, and the call is signed again by it and sent once more, as the AWS SDKs do.
 */
function signedAgainOffClock(
  doFetch: typeof fetch,
  clock: AwsClock,
  sign: () => Promise<Headers>,
): typeof fetch {
  const sent = async (url: string | URL | Request, init?: RequestInit) => {
    const response = await doFetch(url, init);
    if (response.status !== 403) return response;
    const code = /<Code>([^<]+)<\/Code>/.exec(await response.clone().text())?.[1] ?? "";
    // Judged by the date this call was signed with, as Bedrock's calls are (bedrock-call.ts).
    const signedWith = new Headers(init?.headers).get("x-amz-date") ?? undefined;
    if (!clock.corrected(response, signedWith, code)) return response;
    // Only its copy was read: the refused answer itself is closed before the call goes again.
    await response.body?.cancel().catch(() => {});
    return doFetch(url, { ...init, headers: await sign() });
  };
  return sent as typeof fetch;
}

/** POSTs a form to STS at `url` (never a query: a proxy might log a URL) and reads the credentials of its XML answer. */
async function stsCall(
  caller: StsCaller,
  url: string,
  headers: HeadersInit,
  body: string,
): Promise<Expiring<AwsCredentials>> {
  const { provider } = caller;
  const xml = await fetchText(
    provider,
    { url, init: { method: "POST", headers, body }, what: "STS", timeoutMs: 10_000 },
    caller.fetch,
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
