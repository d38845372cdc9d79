import { existsSync } from "node:fs";
import { type AwsCredentialStep, awsCredentialStep, type ConfigKeys } from "./aws-credential-step.ts";
import { awsEndpoint, BEDROCK_RUNTIME, STS } from "./aws-endpoint.ts";
import { loginCachePath } from "./aws-login-credentials.ts";
import {
  exchangedAtSts,
  givesCredentials,
  type ProfileEnd,
  profileEnd,
  profileLacks,
} from "./aws-profile-credentials.ts";
import { awsRegion, REGION_SOUGHT } from "./aws-region.ts";
import { namedProfile, readSharedFiles } from "./aws-shared-files.ts";
import { environmentApiKey } from "./bedrock-api-key.ts";
import { instanceMetadataDisabled } from "./ec2-instance-metadata.ts";
import { instanceMetadataEndpoint } from "./ec2-metadata-endpoint.ts";

type Env = Record<string, string | undefined>;

/** A Bedrock provider's config, as far as its credentials and endpoints are read here. */
interface AwsProvider {
  aws?: ConfigKeys | undefined;
  profile?: string | undefined;
  region?: string | undefined;
  base_url?: string | undefined;
}

/**
 * Why a Bedrock provider's named profile (`profile:` in config, else `AWS_PROFILE`) gives no
 * credentials, naming it and who named it; else why the default profile, where the chain reads
 * them, is refused (SSO); else that the web identity token file the chain reads (the environment's,
 * or a profile's) is not there, or the `aws login` session it refreshes not in the login cache;
 * else that it has no region at all; undefined when the provider has `aws:` keys, or names no
 * profile, or has `AWS_BEARER_TOKEN_BEDROCK` sign for it with `AWS_PROFILE` named, and has a
 * region; else that FIPS is asked beside a custom endpoint (aws-endpoint.ts), which the SDKs refuse
 * too, for Bedrock's endpoint, or for STS's where the credentials are certain to be got there;
 * else, where the chain ends at EC2 instance metadata (or a profile's role is sourced from it), an
 * endpoint mode the SDKs refuse (ec2-metadata-endpoint.ts). Each makes every call a 502. Said at
 * start, at a reload and by `config check`; `credentials` false for a region or Bedrock endpoint
 * problem (its credentials may be fine: it cannot call AWS), true for STS's or instance metadata's
 * (it can get none).
 */
export function awsProfileProblem(
  provider: AwsProvider,
  env: Env,
): { problem: string; credentials: boolean } | undefined {
  const chain = chainStepOf(provider, env);
  const problem =
    profileProblem(provider, env) ??
    defaultProfileRefused(chain, provider, env) ??
    refusedProfileEnd(chain, env) ??
    missingWebIdentityFile(chain, env) ??
    missingLoginSession(chain, env);
  if (problem !== undefined) return { problem, credentials: true };
  const region = awsRegion(provider, env);
  if (region === undefined)
    return {
      problem: `${REGION_SOUGHT} (${namedProfile(provider.profile, env) ?? "default"})`,
      credentials: false,
    };
  const { refused } = awsEndpoint(BEDROCK_RUNTIME, region, env, provider.profile, provider.base_url);
  if (refused !== undefined) return { problem: refused, credentials: false };
  const where = credentialsRefusedWhere(chain, provider, region, env);
  return where === undefined ? undefined : { problem: where, credentials: true };
}

/**
 * The step of the credential chain the provider's credentials come from (aws-credential-step.ts);
 * undefined under a Bedrock API key, which signs in the chain's place (bedrock-api-key.ts).
 */
function chainStepOf(provider: AwsProvider, env: Env): AwsCredentialStep | undefined {
  if (environmentApiKey({ profile: provider.profile }, env)) return undefined;
  return awsCredentialStep(provider.aws, namedProfile(provider.profile, env), env, readSharedFiles(env));
}

/**
 * Why the endpoint the credential chain gets the provider's credentials from is refused before it
 * is asked, as the SDKs refuse it, when the chain is certain to ask it (no Bedrock API key; the
 * chain's step, aws-credential-step.ts): STS's (FIPS beside AWS_ENDPOINT_URL_STS alone) for a role
 * or web identity profile (`exchangedAtSts`) or the environment's web identity; EC2 instance
 * metadata's (an endpoint mode other than IPv4 or IPv6) where the chain ends there, or the
 * profile's role is sourced from it (`credential_source = Ec2InstanceMetadata`, itself or a source
 * profile's: `profileEnd`, which `AWS_EC2_METADATA_DISABLED` does not turn off), the chain's last
 * step unless it is turned off.
 */
function credentialsRefusedWhere(
  chain: AwsCredentialStep | undefined,
  provider: AwsProvider,
  region: string,
  env: Env,
): string | undefined {
  if (chain === undefined) return undefined;
  const atSts =
    chain.step === "web identity" ||
    (chain.step === "profile" &&
      chain.profile !== undefined &&
      givesCredentials(chain.profile) &&
      exchangedAtSts(chain.profile));
  if (atSts) {
    const sts = awsEndpoint(STS, region, env, provider.profile).refused;
    if (sts !== undefined) return `STS, where its credentials are got, cannot be asked: ${sts}`;
  }
  // The chain's last step may be turned off; a profile's credential_source asks it all the same.
  const atInstanceMetadata =
    (chain.step === "instance metadata" && !instanceMetadataDisabled(env)) ||
    endOf(chain, env)?.end === "instance metadata";
  if (!atInstanceMetadata) return undefined;
  const imds = instanceMetadataEndpoint(env, provider.profile).refused;
  return imds === undefined
    ? undefined
    : `EC2 instance metadata, where its credentials are got, cannot be asked: ${imds}`;
}

/**
 * That a web identity token file does not exist where the chain reads it (its step,
 * aws-credential-step.ts; no Bedrock API key): `AWS_WEB_IDENTITY_TOKEN_FILE` (beside
 * `AWS_ROLE_ARN`), or the `web_identity_token_file` of the profile read, or of a source profile it
 * leads to (`profileEnd`). EKS's pod identity webhook mounts it before the gateway starts: one not
 * there is a wrong path, as Azure's federated token file is said (missing-credentials.ts). Its
 * contents are read at each exchange, never here.
 */
function missingWebIdentityFile(chain: AwsCredentialStep | undefined, env: Env): string | undefined {
  const end = chain?.step === "profile" ? endOf(chain, env) : undefined;
  const [tokenFile, by] =
    chain?.step === "web identity"
      ? [chain.tokenFile, "AWS_WEB_IDENTITY_TOKEN_FILE"]
      : end?.end === "web identity"
        ? [end.tokenFile, `web_identity_token_file of profile ${end.profile}`]
        : [];
  if (tokenFile === undefined || existsSync(tokenFile)) return undefined;
  return `the web identity token file ${tokenFile} (${by}) does not exist`;
}

/**
 * That the `aws login` session the profile the chain reads ends at (`profileEnd`) is not in the
 * login cache (aws-login-credentials.ts): `aws login` was not run for it on this host, or the cache
 * is elsewhere (`AWS_LOGIN_CACHE_DIRECTORY`). Its contents are read at each fetch, never here.
 */
function missingLoginSession(chain: AwsCredentialStep | undefined, env: Env): string | undefined {
  const end = chain === undefined ? undefined : endOf(chain, env);
  if (end?.end !== "aws login") return undefined;
  const path = loginCachePath(end.session, env);
  if (existsSync(path)) return undefined;
  return `the \`aws login\` session of the AWS profile ${end.profile} is not in the login cache (${path}): run \`aws login --profile ${end.profile}\``;
}

/**
 * Why the profile the chain reads is refused before any credentials are fetched, in its calls'
 * 502's words (`profileEnd`): a role asking for an MFA code, a `source_profile` cycle, a source
 * profile without credentials. The profile's own lacks are said first (`profileProblem`).
 */
function refusedProfileEnd(chain: AwsCredentialStep | undefined, env: Env): string | undefined {
  const end = chain === undefined ? undefined : endOf(chain, env);
  return end?.end === "refused" ? end.why : undefined;
}

/** Where the profile the chain reads ends (`profileEnd`), the shared files read again. */
const endOf = (chain: AwsCredentialStep, env: Env): ProfileEnd | undefined =>
  chain.step === "profile" ? profileEnd(chain.name, readSharedFiles(env)) : undefined;

/**
 * Why the default profile, the chain's source though no one named it (its step), gives no
 * credentials the gateway takes: an IAM Identity Center (SSO) one (`profileLacks`),
 * every call a 502 as for one named.
 */
function defaultProfileRefused(
  chain: AwsCredentialStep | undefined,
  provider: AwsProvider,
  env: Env,
): string | undefined {
  if (chain?.step !== "profile" || namedProfile(provider.profile, env) !== undefined) return undefined;
  return profileLacks(chain.name, readSharedFiles(env), true);
}

function profileProblem(provider: AwsProvider, env: Env): string | undefined {
  if (provider.aws) return undefined;
  // An Amazon Bedrock API key signs in its place: AWS_PROFILE is not read (bedrock-api-key.ts).
  if (environmentApiKey({ profile: provider.profile }, env)) return undefined;
  const name = namedProfile(provider.profile, env);
  if (name === undefined) return undefined;
  const lacks = profileLacks(name, readSharedFiles(env), true);
  return lacks && `${lacks} (named by ${provider.profile ? "profile: in config" : "AWS_PROFILE"})`;
}
