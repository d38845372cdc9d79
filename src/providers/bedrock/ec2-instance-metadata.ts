import { z } from "zod";
import type { Expiring } from "../credentials/cached-credential.ts";
import { CredentialFailure, credentialFailure } from "../credentials/credential-failure.ts";
import { fetchText, type TokenRequest, timedOut } from "../credentials/fetch-token.ts";
import { endpointKeys, expiringKeys, safeJson } from "./aws-credential-fetch.ts";
import type { AwsCredentials } from "./aws-credentials.ts";
import { namedProfile, profileSettings, readSharedFiles } from "./aws-shared-files.ts";
import { instanceMetadataEndpoint } from "./ec2-metadata-endpoint.ts";

type Env = Record<string, string | undefined>;

const TOKEN_PATH = "/latest/api/token";
const ROLES_PATH = "/latest/meta-data/iam/security-credentials/";
/**
 * The AWS SDKs' one second: off EC2 nothing answers at the link-local address, and a provider
 * with no credentials anywhere should say so at once, not after a token endpoint's thirty seconds.
 */
const TIMEOUT_MS = 1_000;

/** The chain's last step, in its failures' words: what was tried before it, and it. */
const WHAT =
  "no AWS credentials in config, the environment (AWS_BEARER_TOKEN_BEDROCK, AWS_ACCESS_KEY_ID, AWS_WEB_IDENTITY_TOKEN_FILE, AWS_CONTAINER_CREDENTIALS_*) or the default profile (~/.aws), and EC2 instance metadata";

/**
 * A setting that turns something off, as the AWS SDKs read it: set to anything but `false` as
 * written (`False` is on: the SDK compares case-sensitively); an empty one is unset.
 */
const turnsOff = (value: string | undefined): boolean => !!value && value !== "false";

/**
 * AWS_EC2_METADATA_DISABLED turns the step off, as the AWS SDK for JavaScript reads it
 * (@aws-sdk/credential-provider-node remoteProvider: `env[…] && env[…] !== "false"`): an empty
 * one is unset, the step on, as `AWS_EC2_METADATA_V1_DISABLED` is read.
 */
export const instanceMetadataDisabled = (env: Env): boolean => turnsOff(env.AWS_EC2_METADATA_DISABLED);

/**
 * What keeps the fallback to IMDSv1 from being taken, as the AWS SDKs read it
 * (@smithy/credential-provider-imds loadConfig): `AWS_EC2_METADATA_V1_DISABLED` set to anything but
 * `false` as written (an empty one is `false`, its profile unread), else, unset, the profile's
 * `ec2_metadata_v1_disabled` read so (`profile:`, else `AWS_PROFILE`, else `default`; the
 * credentials file's under the config file's); undefined when neither blocks it.
 */
function v1DisabledBy(env: Env, profileName: string | undefined): string | undefined {
  const fromEnv = env.AWS_EC2_METADATA_V1_DISABLED;
  if (fromEnv !== undefined) return turnsOff(fromEnv) ? "AWS_EC2_METADATA_V1_DISABLED" : undefined;
  const name = namedProfile(profileName, env) ?? "default";
  const profile = profileSettings(readSharedFiles(env), name);
  return turnsOff(profile?.ec2_metadata_v1_disabled)
    ? `ec2_metadata_v1_disabled of profile ${name}`
    : undefined;
}

/** Token PUT answers that say IMDSv2 is not there to ask (off, or a proxy in the way): IMDSv1 from then on. */
const NO_V2 = new Set([403, 404, 405]);

/**
 * The instance profile's keys, asked of instance metadata; `what` says who asked in a failure's
 * words (the chain's end by default: what was tried before it, and it).
 */
export type InstanceMetadataKeys = (what?: string) => Promise<Expiring<AwsCredentials>>;

/**
 * The instance profile's role credentials from EC2 instance metadata, as the AWS SDKs get them
 * (@smithy/credential-provider-imds fromInstanceMetadata): IMDSv2's session token PUT first, then the
 * role's name under `/latest/meta-data/iam/security-credentials/` and its keys, with the token. A PUT
 * that fails other than by a 400 falls back to IMDSv1 (the same GETs without a token), unless that
 * fallback is disabled (`v1DisabledBy`); one refused 403, 404 or 405, or never answered (a hop limit
 * of 1 seen from a container drops the token's answer, not v1's), keeps the source on v1 without a PUT
 * until a v1 GET is refused 401 or the fallback is disabled. Asked where ec2-metadata-endpoint.ts says
 * (the endpoint or endpoint mode of the environment or the profile: IPv6's `http://[fd00:ec2::254]`, a
 * test's fake).
 */
export function instanceMetadataCredentials(
  provider: string,
  env: Env,
  doFetch: typeof fetch,
  /** The profile named in config (`profile:`), whose settings may say where instance metadata is. */
  profile?: string,
): InstanceMetadataKeys {
  let v1Only = false;
  return async (asker) => {
    const what = asker ?? WHAT;
    const endpoint = instanceMetadataEndpoint(env, profile);
    // The chain's end says the refusal alone; a profile's credential_source names the profile too.
    if (endpoint.refused !== undefined)
      throw credentialFailure(
        provider,
        asker === undefined ? endpoint.refused : `${asker} cannot be asked: ${endpoint.refused}`,
      );
    const base = endpoint.url;
    // Link-local: straight to it, never through a proxy.
    const get = (path: string, init: TokenRequest["init"]) =>
      fetchText(
        provider,
        { url: `${base}${path}`, init, what, timeoutMs: TIMEOUT_MS, direct: true },
        doFetch,
      );
    let headers: Record<string, string> = {};
    // On v1 only while the fallback is allowed, checked at each fetch as smithy checks each v1
    // fetch; once disabled, the token is asked for again, its refusal the failure.
    if (v1Only && v1DisabledBy(env, profile) !== undefined) v1Only = false;
    if (!v1Only) {
      try {
        const session = await get(TOKEN_PATH, {
          method: "PUT",
          headers: { "x-aws-ec2-metadata-token-ttl-seconds": "21600" },
        });
        headers = { "x-aws-ec2-metadata-token": session.trim() };
      } catch (error) {
        const answered = error instanceof CredentialFailure ? error.answered : undefined;
        const noV2 =
          (answered !== undefined && NO_V2.has(answered)) ||
          (answered === undefined && timedOut(causeOf(error)));
        if (answered === 400) throw error;
        const blockedBy = v1DisabledBy(env, profile);
        if (blockedBy !== undefined) {
          if (!noV2) throw error;
          throw credentialFailure(
            provider,
            `${what} gave no IMDSv2 session token (${answered ?? "no answer"}), and the IMDSv1 fallback is disabled (${blockedBy})`,
          );
        }
        v1Only = noV2;
      }
    }
    try {
      return await roleKeys(provider, get, headers, what);
    } catch (error) {
      // IMDSv2 is required again (the instance's HttpTokens changed): the next fetch asks for a token.
      if (error instanceof CredentialFailure && error.answered === 401) v1Only = false;
      throw error;
    }
  };
}

/**
 * The chain's last step: instance metadata, unless `AWS_EC2_METADATA_DISABLED` turns it off
 * (@aws-sdk/credential-provider-node remoteProvider). A profile's `credential_source =
 * Ec2InstanceMetadata` asks it all the same, as the SDK's resolveCredentialSource calls
 * fromInstanceMetadata without that check.
 */
export const unlessDisabled =
  (provider: string, env: Env, fetchKeys: InstanceMetadataKeys): (() => Promise<Expiring<AwsCredentials>>) =>
  async () => {
    if (instanceMetadataDisabled(env))
      throw credentialFailure(provider, `${WHAT} is disabled (AWS_EC2_METADATA_DISABLED)`);
    return fetchKeys();
  };

const causeOf = (error: unknown): unknown => (error instanceof Error ? error.cause : undefined);

/** The role's name, then its keys. */
async function roleKeys(
  provider: string,
  get: (path: string, init: TokenRequest["init"]) => Promise<string>,
  headers: Record<string, string>,
  what: string,
): Promise<Expiring<AwsCredentials>> {
  const role = (await get(ROLES_PATH, { headers })).split("\n")[0]?.trim();
  if (!role) throw credentialFailure(provider, `${what} names no role (no instance profile attached)`);
  const reply = await get(ROLES_PATH + encodeURIComponent(role), { headers });
  // A refusal (`{"Code":"AssumeRoleUnauthorizedAccess","Message":…}`) carries no keys: its Code
  // says why, read before the keys are looked for.
  const code = refusalCode.safeParse(safeJson(reply)).data?.Code;
  if (code !== undefined && code !== "Success")
    throw credentialFailure(provider, `${what} sent no keys`, { detail: code });
  return expiringKeys(endpointKeys(provider, what, reply));
}

/** EC2 instance metadata's `Code` beside the keys: `Success`, else why it has none. */
const refusalCode = z.looseObject({ Code: z.string().optional() });
