import type { Expiring } from "../credentials/cached-credential.ts";
import { credentialFailure } from "../credentials/credential-failure.ts";
import { withToken } from "./aws-credential-fetch.ts";
import type { AwsCredentials, CredentialWarn } from "./aws-credentials.ts";
import { loginCredentials } from "./aws-login-credentials.ts";
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
  /** The gateway's log (aws-login-credentials.ts: a refreshed session it could not write back). */
  warn?: CredentialWarn;
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
 * credentials live 15 minutes in ~/.aws/login/cache, refreshed at AWS Sign-In
 * (aws-login-credentials.ts).
 */
const isLogin = (profile: AwsProfile) => has(profile, "login_session");

const fromKinds = (profile: AwsProfile): boolean =>
  isStatic(profile) || isAssumeRole(profile) || isWebIdentity(profile) || has(profile, "credential_process");

/**
 * Whether a profile says how to get credentials at all (one with only `region` does not). An SSO
 * one does, though the gateway refuses it (`profileLacks`): it is the source, not passed over, as
 * in the AWS SDKs.
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
  "aws_access_key_id and aws_secret_access_key, role_arn with source_profile or credential_source, role_arn with web_identity_token_file, credential_process, or login_session";

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
  // SSO before `aws login`, as the SDKs try them.
  if (!fromKinds(profile) && isSso(profile))
    return `the AWS profile ${name} is an IAM Identity Center (SSO) profile, which the gateway does not sign in with: run \`aws sso login --profile ${name}\` and give the gateway its credentials (\`aws configure export-credentials --profile ${name} --format env\`), or name a profile whose credential_process is \`aws configure export-credentials --profile ${name} --format process\``;
  return undefined;
}

/**
 * How a profile's credentials are got, worked out from the files alone (`profilePlan`): `run` fetches
 * by it, `profileEnd` reads where it ends. `refused`: said by the fetch as `why`, of `profile` when
 * given, the files' paths in the log's `detail`.
 */
type ProfilePlan =
  | { kind: "refused"; why: string; profile?: string; detail?: string }
  | { kind: "static"; profile: AwsProfile }
  | { kind: "source"; name: string; source: string }
  | { kind: "role"; name: string; profile: AwsProfile; from: ProfilePlan }
  | { kind: "web identity"; name: string; profile: AwsProfile }
  | { kind: "process"; name: string; profile: AwsProfile }
  | { kind: "login"; name: string; profile: AwsProfile };

/**
 * The AWS SDK for JavaScript's order (@aws-sdk/credential-provider-ini resolveProfileData): a role
 * to assume (`role_arn`) with the credentials of `source_profile` (itself planned so; a cycle
 * refused) or of `credential_source`; static keys, which a profile reached as a `source_profile`
 * gives before its own role, as the AWS CLI does; `role_arn` with `web_identity_token_file`;
 * `credential_process`; `login_session` (`aws login`).
 */
function profilePlan(
  name: string,
  files: AwsSharedFiles,
  /** The profiles followed to here, `name` last. */
  path: readonly string[] = [name],
): ProfilePlan {
  // The SDK's visited profiles: the source profiles followed, not the first (so one that is its own source reads its keys).
  const visited = path.slice(1);
  const profile = files.profiles.get(name);
  const lacks = profileLacks(name, files);
  if (profile === undefined || lacks !== undefined) {
    // A source profile without credentials but with `credential_source`: that source's, for the role before it.
    if (profile && visited.length > 0 && has(profile, "credential_source") && !has(profile, "role_arn"))
      return { kind: "source", name, source: profile.credential_source ?? "" };
    return { kind: "refused", why: lacks ?? name, detail: filesRead(files) };
  }
  if (visited.length > 0 && isStatic(profile)) return { kind: "static", profile };
  if (isAssumeRole(profile)) {
    const sourceName = profile.source_profile;
    if (sourceName !== undefined && visited.includes(sourceName))
      return {
        kind: "refused",
        profile: name,
        why: `source_profile makes a cycle (${[...path, sourceName].join(" → ")})`,
      };
    if (has(profile, "mfa_serial"))
      return {
        kind: "refused",
        profile: name,
        why: "its role asks for an MFA code (mfa_serial), which a gateway cannot type; give it credentials without",
      };
    const from: ProfilePlan =
      sourceName !== undefined
        ? profilePlan(sourceName, files, [...path, sourceName])
        : { kind: "source", name, source: profile.credential_source ?? "" };
    return { kind: "role", name, profile, from };
  }
  if (isStatic(profile)) return { kind: "static", profile };
  if (isWebIdentity(profile)) return { kind: "web identity", name, profile };
  if (has(profile, "credential_process")) return { kind: "process", name, profile };
  return { kind: "login", name, profile };
}

/**
 * A profile's credentials, as the AWS SDK for JavaScript resolves them (`profilePlan`'s order): a
 * role at STS with its source's credentials (`source_profile`, or `credential_source`:
 * `Environment`, `Ec2InstanceMetadata`, `EcsContainer`), static keys (`aws_access_key_id`,
 * `aws_secret_access_key`, `aws_session_token`), a web identity at STS, a `credential_process`
 * (credential-process.ts), an `aws login` session (aws-login-credentials.ts). Its failures name
 * the profile, never a secret.
 */
export function profileCredentials(
  name: string,
  files: AwsSharedFiles,
  context: ProfileContext,
): Promise<Expiring<AwsCredentials>> {
  return run(profilePlan(name, files), context);
}

async function run(plan: ProfilePlan, context: ProfileContext): Promise<Expiring<AwsCredentials>> {
  const { provider } = context;
  const sessionName = (profile: AwsProfile) =>
    profile.role_session_name || `mindgw-${(context.now ?? Date.now)()}`;
  switch (plan.kind) {
    case "refused":
      throw credentialFailure(
        provider,
        refusal(plan),
        plan.detail === undefined ? undefined : { detail: plan.detail },
      );
    case "static":
      return staticKeys(plan.profile);
    case "source":
      return fromCredentialSource(plan.name, plan.source, context);
    case "role": {
      const source = await run(plan.from, context);
      const duration = Number.parseInt(plan.profile.duration_seconds ?? "3600", 10);
      return assumeRole(context, source.value, {
        roleArn: plan.profile.role_arn ?? "",
        sessionName: sessionName(plan.profile),
        externalId: plan.profile.external_id,
        durationSeconds: Number.isFinite(duration) ? duration : 3600,
      });
    }
    case "web identity":
      return assumeRoleWithWebIdentity(context, {
        tokenFile: plan.profile.web_identity_token_file ?? "",
        roleArn: plan.profile.role_arn ?? "",
        sessionName: sessionName(plan.profile),
      });
    case "process":
      return processCredentials(
        plan.profile.credential_process ?? "",
        context.env,
        profileFailure(provider, plan.name),
        context.processTimeoutMs,
        context.now,
      );
    case "login":
      return loginCredentials(plan.name, plan.profile, context);
  }
}

/** A refused plan in the words its calls' 502 says, naming the profile that refused. */
const refusal = (plan: Extract<ProfilePlan, { kind: "refused" }>): string =>
  plan.profile === undefined ? plan.why : `the AWS profile ${plan.profile}: ${plan.why}`;

const profileFailure = (provider: string, name: string) => (why: string) =>
  credentialFailure(provider, `the AWS profile ${name}: ${why}`);

/**
 * Where a profile's credentials are got at the end of its plan (`profilePlan`), when that can be
 * checked before it is asked (aws-profile-problem.ts): a web identity token file
 * (`web_identity_token_file`, and the profile that names it), or EC2 instance metadata
 * (`credential_source = Ec2InstanceMetadata`), an `aws login` session (`login_session`, and the
 * profile that names it); or that the plan is refused before any is fetched
 * (`why`, as its calls' 502 says: a role asking for an MFA code, a `source_profile` cycle, a source
 * profile without credentials); undefined for keys, a process, another source.
 */
export type ProfileEnd =
  | { end: "web identity"; tokenFile: string; profile: string }
  | { end: "instance metadata" }
  | { end: "aws login"; session: string; profile: string }
  | { end: "refused"; why: string };

export const profileEnd = (name: string, files: AwsSharedFiles): ProfileEnd | undefined =>
  endOf(profilePlan(name, files));

function endOf(plan: ProfilePlan): ProfileEnd | undefined {
  if (plan.kind === "role") return endOf(plan.from);
  if (plan.kind === "source" && plan.source === "Ec2InstanceMetadata") return { end: "instance metadata" };
  if (plan.kind === "web identity")
    return { end: "web identity", tokenFile: plan.profile.web_identity_token_file ?? "", profile: plan.name };
  if (plan.kind === "login")
    return { end: "aws login", session: plan.profile.login_session ?? "", profile: plan.name };
  if (plan.kind === "refused") return { end: "refused", why: refusal(plan) };
  return undefined;
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
  context: ProfileContext,
): Promise<Expiring<AwsCredentials>> {
  const { env } = context;
  const fail = profileFailure(context.provider, name);
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
