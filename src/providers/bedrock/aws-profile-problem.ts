import { awsEndpoint, BEDROCK_RUNTIME } from "./aws-endpoint.ts";
import { profileLacks } from "./aws-profile-credentials.ts";
import { awsRegion, REGION_SOUGHT } from "./aws-region.ts";
import { namedProfile, readSharedFiles } from "./aws-shared-files.ts";
import { environmentApiKey } from "./bedrock-api-key.ts";

type Env = Record<string, string | undefined>;

/**
 * Why a Bedrock provider's named profile (`profile:` in config, else `AWS_PROFILE`) gives no
 * credentials, naming it and who named it; else that it has no region at all; undefined when the
 * provider has `aws:` keys, or names no profile, or has `AWS_BEARER_TOKEN_BEDROCK` sign for it
 * with `AWS_PROFILE` named, and has a region; else that FIPS is asked beside a custom endpoint
 * (aws-endpoint.ts), which the SDKs refuse too. Each makes every call a 502. Said at start, at a
 * reload and by `config check`; `credentials` false for a region or endpoint problem (its
 * credentials may be fine: it cannot call AWS).
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
  const problem = profileProblem(provider, env);
  if (problem !== undefined) return { problem, credentials: true };
  const region = awsRegion(provider, env);
  if (region === undefined)
    return {
      problem: `${REGION_SOUGHT} (${namedProfile(provider.profile, env) ?? "default"})`,
      credentials: false,
    };
  const { refused } = awsEndpoint(BEDROCK_RUNTIME, region, env, provider.profile, provider.base_url);
  return refused === undefined ? undefined : { problem: refused, credentials: false };
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
