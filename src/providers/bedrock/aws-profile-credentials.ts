import type { Expiring } from "../credentials/cached-credential.ts";
import { credentialFailure } from "../credentials/credential-failure.ts";
import { withToken } from "./aws-credential-fetch.ts";
import type { AwsCredentials } from "./aws-credentials.ts";
import type { AwsProfile, AwsSharedFiles } from "./aws-shared-files.ts";
import { assumeRole, assumeRoleWithWebIdentity, type StsCaller } from "./aws-sts.ts";
import { containerCredentials } from "./container-credentials.ts";
import { processCredentials } from "./credential-process.ts";
import type { InstanceMetadataKeys } from "./ec2-instance-metadata.ts";

/** What a profile's credentials are fetched with besides the files: STS's caller, and EC2 instance metadata's fetch. */
export interface ProfileContext extends StsCaller {
  instanceMetadata: InstanceMetadataKeys;
  /** The clock a session's default name is made from, and a process's expiry checked by. */
  now?: () => number;
  /** How long a `credential_process` may run (default 60 s). */
  processTimeoutMs?: number;
  /** Waits between the container endpoint's tries (container-credentials.ts; default a timer). */
  pause?: (ms: number) => Promise<void>;
}

const has = (profile: AwsProfile, key: string): boolean => typeof profile[key] === "string";

const isStatic = (profile: AwsProfile) =>
  has(profile, "aws_access_key_id") && has(profile, "aws_secret_access_key");

/** `role_arn` with exactly one of `source_profile` and `credential_source` (@aws-sdk/credential-provider-ini isAssumeRoleProfile). */
const isAssumeRole = (profile: AwsProfile) =>
  has(profile, "role_arn") && has(profile, "source_profile") !== has(profile, "credential_source");

const isWebIdentity = (profile: AwsProfile) =>
  has(profile, "role_arn") && has(profile, "web_identity_token_file");

/** An IAM Identity Center (SSO) profile (@aws-sdk/credential-provider-ini isSsoProfile). */
const isSso = (profile: AwsProfile) =>
  ["sso_start_url", "sso_account_id", "sso_session", "sso_region", "sso_role_name"].some((key) =>
    has(profile, key),
  );

/**
 * An `aws login` profile (AWS CLI 2.32+; @aws-sdk/credential-provider-ini isLoginProfile): its
 * credentials live 15 minutes in ~/.aws/login/cache (AWS_LOGIN_CACHE_DIRECTORY), refreshed by the
 * SDKs at AWS Sign-In with a DPoP-signed refresh token (@aws-sdk/credential-provider-login), a
 * protocol AWS documents no wire format of and the gateway does not speak.
 */
const isLogin = (profile: AwsProfile) => has(profile, "login_session");

const fromKinds = (profile: AwsProfile): boolean =>
  isStatic(profile) || isAssumeRole(profile) || isWebIdentity(profile) || has(profile, "credential_process");

/**
 * Whether a profile says how to get credentials at all (one with only `region` does not). An SSO
 * or `aws login` one does, though the gateway refuses it (`profileLacks`): it is the source, not
 * passed over, as in the AWS SDKs.
 */
export const givesCredentials = (profile: AwsProfile): boolean =>
  fromKinds(profile) || isSso(profile) || isLogin(profile);

/**
 * Whether the profile's own credentials are got at STS (`resolve`'s order for the profile named or
 * `default`): a role to assume, before static keys; a web identity, after them.
 */
export const exchangedAtSts = (profile: AwsProfile): boolean =>
  isAssumeRole(profile) || (!isStatic(profile) && isWebIdentity(profile));

const KINDS =
  "aws_access_key_id and aws_secret_access_key, role_arn with source_profile or credential_source, role_arn with web_identity_token_file, or credential_process";

/**
 * The shared files, as a call's failure names them: never their paths (a home directory names its
 * user), which go to the log with it (`filesRead`), and to the warnings at start and by `config check`.
 */
const THE_FILES = "the AWS config or credentials file";

/** The paths of the shared files, for the log and the warnings. */
export const filesRead = (files: AwsSharedFiles): string => `${files.configPath} or ${files.credentialsPath}`;

/**
 * Why the profile `name` gives no credentials, or undefined when it may (a fetch says more): not in
 * the files, or none of the settings a kind of profile needs. Said by a fetch's failure, naming the
 * files, and with their paths (`withPaths`) by the warnings at start and by `config check`
 * (missing-credentials.ts).
 */
export function profileLacks(name: string, files: AwsSharedFiles, withPaths = false): string | undefined {
  const profile = files.profiles.get(name);
  const where = withPaths ? filesRead(files) : THE_FILES;
  if (profile === undefined) return `no AWS profile ${name} in ${where}`;
  if (!givesCredentials(profile)) return `the AWS profile ${name} in ${where} has no credentials (${KINDS})`;
  if (!fromKinds(profile) && isLogin(profile))
    return `the AWS profile ${name} is an \`aws login\` profile (login_session), whose cached session the gateway does not read or refresh: name a profile whose credential_process is \`aws configure export-credentials --profile ${name} --format process\` (the AWS CLI refreshes the session), or give the gateway keys`;
  if (!fromKinds(profile))
    return `the AWS profile ${name} is an IAM Identity Center (SSO) profile, which the gateway does not sign in with: run \`aws sso login --profile ${name}\` and give the gateway its credentials (\`aws configure export-credentials --profile ${name} --format env\`), or name a profile whose credential_process is \`aws configure export-credentials --profile ${name} --format process\``;
  return undefined;
}

/**
 * A profile's credentials, as the AWS SDK for JavaScript resolves them
 * (@aws-sdk/credential-provider-ini resolveProfileData), in its order: a role to assume
 * (`role_arn`) with the credentials of `source_profile` (itself resolved so; a cycle refused) or of
 * `credential_source` (`Environment`, `Ec2InstanceMetadata`, `EcsContainer`), at STS; static keys
 * (`aws_access_key_id`, `aws_secret_access_key`, `aws_session_token`), which a profile reached as
 * a `source_profile` gives before its own role, as the AWS CLI does; `role_arn` with
 * `web_identity_token_file`; `credential_process` (credential-process.ts). Its failures name the
 * profile, never a secret.
 */
export function profileCredentials(
  name: string,
  files: AwsSharedFiles,
  context: ProfileContext,
): Promise<Expiring<AwsCredentials>> {
  return resolve(name, files, context, [name]);
}

async function resolve(
  name: string,
  files: AwsSharedFiles,
  context: ProfileContext,
  /** The profiles followed to here, `name` last. */
  path: readonly string[],
): Promise<Expiring<AwsCredentials>> {
  // The SDK's visited profiles: the source profiles followed, not the first (so one that is its own source reads its keys).
  const visited = path.slice(1);
  const profile = files.profiles.get(name);
  const lacks = profileLacks(name, files);
  const { provider } = context;
  const fail = (why: string) => credentialFailure(provider, `the AWS profile ${name}: ${why}`);
  if (profile === undefined || lacks !== undefined) {
    // A source profile without credentials but with `credential_source`: that source's, for the role before it.
    if (profile && visited.length > 0 && has(profile, "credential_source") && !has(profile, "role_arn"))
      return fromCredentialSource(name, profile.credential_source ?? "", fail, context);
    throw credentialFailure(provider, lacks ?? name, { detail: filesRead(files) });
  }
  if (visited.length > 0 && isStatic(profile)) return staticKeys(profile);
  if (isAssumeRole(profile)) {
    const sourceName = profile.source_profile;
    if (sourceName !== undefined && visited.includes(sourceName))
      throw fail(`source_profile makes a cycle (${[...path, sourceName].join(" → ")})`);
    if (has(profile, "mfa_serial"))
      throw fail(
        "its role asks for an MFA code (mfa_serial), which a gateway cannot type; give it credentials without",
      );
    const source =
      sourceName !== undefined
        ? await resolve(sourceName, files, context, [...path, sourceName])
        : await fromCredentialSource(name, profile.credential_source ?? "", fail, context);
    const duration = Number.parseInt(profile.duration_seconds ?? "3600", 10);
    return assumeRole(context, source.value, {
      roleArn: profile.role_arn ?? "",
      sessionName: profile.role_session_name || `mindgw-${(context.now ?? Date.now)()}`,
      externalId: profile.external_id,
      durationSeconds: Number.isFinite(duration) ? duration : 3600,
    });
  }
  if (isStatic(profile)) return staticKeys(profile);
  if (isWebIdentity(profile))
    return assumeRoleWithWebIdentity(context, {
      tokenFile: profile.web_identity_token_file ?? "",
      roleArn: profile.role_arn ?? "",
      sessionName: profile.role_session_name || `mindgw-${(context.now ?? Date.now)()}`,
    });
  return processCredentials(
    profile.credential_process ?? "",
    context.env,
    fail,
    context.processTimeoutMs,
    context.now,
  );
}

/**
 * Where a profile's credentials are got at the end of its chain of source profiles, followed in
 * `resolve`'s order, when that can be checked before it is asked (aws-profile-problem.ts): a web
 * identity token file (`web_identity_token_file`, and the profile that names it), or EC2 instance
 * metadata (`credential_source = Ec2InstanceMetadata`); undefined for keys, a process, another
 * source, or a profile that lacks (said by `profileLacks`).
 */
export type ProfileEnd =
  | { end: "web identity"; tokenFile: string; profile: string }
  | { end: "instance metadata" };

export function profileEnd(
  name: string,
  files: AwsSharedFiles,
  visited: readonly string[] = [],
): ProfileEnd | undefined {
  const profile = files.profiles.get(name);
  if (profile === undefined) return undefined;
  const fromSource = (source: string | undefined): ProfileEnd | undefined =>
    source === "Ec2InstanceMetadata" ? { end: "instance metadata" } : undefined;
  if (profileLacks(name, files) !== undefined)
    return visited.length > 0 && !has(profile, "role_arn")
      ? fromSource(profile.credential_source)
      : undefined;
  if (visited.length > 0 && isStatic(profile)) return undefined;
  if (isAssumeRole(profile)) {
    const sourceName = profile.source_profile;
    if (sourceName === undefined) return fromSource(profile.credential_source);
    return visited.includes(sourceName) ? undefined : profileEnd(sourceName, files, [...visited, sourceName]);
  }
  if (isStatic(profile) || !isWebIdentity(profile)) return undefined;
  return { end: "web identity", tokenFile: profile.web_identity_token_file ?? "", profile: name };
}

const staticKeys = (profile: AwsProfile): Expiring<AwsCredentials> => ({
  value: withToken(
    profile.aws_access_key_id ?? "",
    profile.aws_secret_access_key ?? "",
    profile.aws_session_token,
  ),
  expiresAt: Number.POSITIVE_INFINITY,
});

/** A `credential_source`'s credentials (@aws-sdk/credential-provider-ini resolveCredentialSource). */
async function fromCredentialSource(
  name: string,
  source: string,
  fail: (why: string) => Error,
  context: ProfileContext,
): Promise<Expiring<AwsCredentials>> {
  const { env } = context;
  switch (source) {
    case "Environment":
      if (!env.AWS_ACCESS_KEY_ID || !env.AWS_SECRET_ACCESS_KEY)
        throw fail("credential_source Environment, but AWS_ACCESS_KEY_ID or AWS_SECRET_ACCESS_KEY is unset");
      return {
        value: withToken(env.AWS_ACCESS_KEY_ID, env.AWS_SECRET_ACCESS_KEY, env.AWS_SESSION_TOKEN),
        expiresAt: Number.POSITIVE_INFINITY,
      };
    case "Ec2InstanceMetadata":
      // Its failure names the profile that asked, not the chain's end (what was tried before it).
      return context.instanceMetadata(
        `the AWS profile ${name}: credential_source Ec2InstanceMetadata: EC2 instance metadata`,
      );
    case "EcsContainer":
      return containerCredentials(context);
    default:
      throw fail(
        `credential_source ${source} is not one of EcsContainer, Ec2InstanceMetadata or Environment`,
      );
  }
}
