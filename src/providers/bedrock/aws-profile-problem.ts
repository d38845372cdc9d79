import { awsCredentialStep, type ConfigKeys } from "./aws-credential-step.ts";
import { awsEndpoint, BEDROCK_RUNTIME, STS } from "./aws-endpoint.ts";
import { exchangedAtSts, givesCredentials, profileLacks } from "./aws-profile-credentials.ts";
import { awsRegion, REGION_SOUGHT } from "./aws-region.ts";
import { namedProfile, readSharedFiles } from "./aws-shared-files.ts";
import { environmentApiKey } from "./bedrock-api-key.ts";

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
 * credentials, naming it and who named it; else that it has no region at all; undefined when the
 * provider has `aws:` keys, or names no profile, or has `AWS_BEARER_TOKEN_BEDROCK` sign for it
 * with `AWS_PROFILE` named, and has a region; else that FIPS is asked beside a custom endpoint
 * (aws-endpoint.ts), which the SDKs refuse too, for Bedrock's endpoint, or for STS's where the
 * credentials are certain to be got there. Each makes every call a 502. Said at start, at a
 * reload and by `config check`; `credentials` false for a region or Bedrock endpoint problem (its
 * credentials may be fine: it cannot call AWS), true for STS's (it can get none).
 */
export function awsProfileProblem(
  provider: AwsProvider,
  env: Env,
): { problem: string; credentials: boolean } | undefined {
  const problem = profileProblem(provider, env);
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
 * Whether the credential chain gets the provider's credentials at STS whatever answers: no Bedrock
 * API key, and the chain's step (aws-credential-step.ts) a role or web identity profile
 * (`exchangedAtSts`) or the environment's web identity.
 */
function credentialsFromSts(provider: AwsProvider, env: Env): boolean {
  if (environmentApiKey({ profile: provider.profile }, env)) return false;
  const named = namedProfile(provider.profile, env);
  const chain = awsCredentialStep(provider.aws, named, env, readSharedFiles(env));
  if (chain.step === "profile")
    return chain.profile !== undefined && givesCredentials(chain.profile) && exchangedAtSts(chain.profile);
  return chain.step === "web identity";
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
