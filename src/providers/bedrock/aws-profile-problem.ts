import { existsSync } from "node:fs";
import { awsEndpoint, BEDROCK_RUNTIME, STS } from "./aws-endpoint.ts";
import { exchangedAtSts, givesCredentials, profileLacks } from "./aws-profile-credentials.ts";
import { awsRegion, REGION_SOUGHT } from "./aws-region.ts";
import { namedProfile, readSharedFiles } from "./aws-shared-files.ts";
import { environmentApiKey } from "./bedrock-api-key.ts";

type Env = Record<string, string | undefined>;

/**
 * Why a Bedrock provider's named profile (`profile:` in config, else `AWS_PROFILE`) gives no
 * credentials, naming it and who named it; else that the environment's web identity token file,
 * where the chain reads it, is not there; else that it has no region at all; undefined when the
 * provider has `aws:` keys, or names no profile, or has `AWS_BEARER_TOKEN_BEDROCK` sign for it
 * with `AWS_PROFILE` named, and has a region; else that FIPS is asked beside a custom endpoint
 * (aws-endpoint.ts), which the SDKs refuse too, for Bedrock's endpoint, or for STS's where the
 * credentials are certain to be got there. Each makes every call a 502. Said at start, at a
 * reload and by `config check`; `credentials` false for a region or Bedrock endpoint problem (its
 * credentials may be fine: it cannot call AWS), true for STS's (it can get none).
 */
export function awsProfileProblem(
  provider: {
    aws?: object | undefined;
    profile?: string | undefined;
    region?: string | undefined;
    base_url?: string | undefined;
  },
  env: Env,
): { problem: string; credentials: boolean } | undefined {
  const problem = profileProblem(provider, env) ?? missingWebIdentityFile(provider, env);
  if (problem !== undefined) return { problem, credentials: true };
  const region = awsRegion(provider, env);
  if (region === undefined)
    return {
      problem: `${REGION_SOUGHT} (${namedProfile(provider.profile, env) ?? "default"})`,
      credentials: false,
    };
  const { refused } = awsEndpoint(BEDROCK_RUNTIME, region, env, provider.profile, provider.base_url);
  if (refused !== undefined) return { problem: refused, credentials: false };
  // STS's endpoint refused (FIPS beside AWS_ENDPOINT_URL_STS alone) fails only a chain that asks it.
  if (!credentialsFromSts(provider, env)) return undefined;
  const sts = awsEndpoint(STS, region, env, provider.profile);
  return sts.refused === undefined
    ? undefined
    : { problem: `STS, where its credentials are got, cannot be asked: ${sts.refused}`, credentials: true };
}

/**
 * Whether the credential chain (aws-credentials.ts, in its order) gets the provider's credentials
 * at STS whatever answers: no `aws:` keys or Bedrock API key; not the environment's keys (unless a
 * profile is named); the profile named or `default` a role or web identity one
 * (`exchangedAtSts`), or, none named and `default` giving none, the environment's web identity.
 */
function credentialsFromSts(
  provider: { aws?: object | undefined; profile?: string | undefined },
  env: Env,
): boolean {
  if (provider.aws || environmentApiKey({ profile: provider.profile }, env)) return false;
  const named = namedProfile(provider.profile, env);
  if (!named && env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) return false;
  const profile = readSharedFiles(env).profiles.get(named ?? "default");
  if (profile && givesCredentials(profile)) return exchangedAtSts(profile);
  return !named && Boolean(env.AWS_WEB_IDENTITY_TOKEN_FILE && env.AWS_ROLE_ARN);
}

/**
 * That `AWS_WEB_IDENTITY_TOKEN_FILE` (beside `AWS_ROLE_ARN`) does not exist, where the chain reads
 * it: no keys of config's, the environment's or a Bedrock API key, no profile named, and `default`
 * giving none (aws-credentials.ts, in its order). EKS's pod identity webhook mounts it before the
 * gateway starts: one not there is a wrong path, as Azure's federated token file is said
 * (missing-credentials.ts). Its contents are read at each exchange, never here.
 */
function missingWebIdentityFile(
  provider: { aws?: object | undefined; profile?: string | undefined },
  env: Env,
): string | undefined {
  const file = env.AWS_WEB_IDENTITY_TOKEN_FILE;
  if (!file || !env.AWS_ROLE_ARN || existsSync(file)) return undefined;
  if (provider.aws || environmentApiKey({ profile: provider.profile }, env)) return undefined;
  if (namedProfile(provider.profile, env) || (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY))
    return undefined;
  const fallback = readSharedFiles(env).profiles.get("default");
  if (fallback && givesCredentials(fallback)) return undefined;
  return `the web identity token file ${file} (AWS_WEB_IDENTITY_TOKEN_FILE) does not exist`;
}

function profileProblem(
  provider: { aws?: object | undefined; profile?: string | undefined },
  env: Env,
): string | undefined {
  if (provider.aws) return undefined;
  // An Amazon Bedrock API key signs in its place: AWS_PROFILE is not read (bedrock-api-key.ts).
  if (environmentApiKey({ profile: provider.profile }, env)) return undefined;
  const name = namedProfile(provider.profile, env);
  if (name === undefined) return undefined;
  const lacks = profileLacks(name, readSharedFiles(env), true);
  return lacks && `${lacks} (named by ${provider.profile ? "profile: in config" : "AWS_PROFILE"})`;
}
