import { namedProfile, profileSettings, readSharedFiles } from "./aws-shared-files.ts";

type Env = Record<string, string | undefined>;

/**
 * A Bedrock provider's region, as the AWS SDK for JavaScript finds a client's
 * (@smithy/config-resolver NODE_REGION_CONFIG_OPTIONS): `region:` in config, else `AWS_REGION`,
 * else the `region` of the profile (`profile:`, else `AWS_PROFILE`, else `default`) in the shared
 * config file, else in the credentials file; undefined when none says. Read once, when the provider is made.
 */
export function awsRegion(
  configured: { region?: string | undefined; profile?: string | undefined },
  env: Env,
) {
  if (configured.region) return configured.region;
  if (env.AWS_REGION) return env.AWS_REGION;
  const name = namedProfile(configured.profile, env) ?? "default";
  // The config file's first (@smithy/node-config-provider fromSharedConfigFiles, preferredFile "config").
  return profileSettings(readSharedFiles(env), name)?.region || undefined;
}

/** Where a region is looked for, in a failure's words. */
export const REGION_SOUGHT = "no region: in config, AWS_REGION unset, and no region in the profile";
