import type { Expiring } from "../credentials/cached-credential.ts";
import { credentialFailure } from "../credentials/credential-failure.ts";
import { withToken } from "./aws-credential-fetch.ts";
import type { AwsCredentials } from "./aws-credentials.ts";
import type { AwsProfile, AwsSharedFiles } from "./aws-shared-files.ts";

type Env = Record<string, string | undefined>;

/** What a profile's credentials are fetched with besides the files. */
export interface ProfileContext {
  provider: string;
  /** The Bedrock provider's region: STS is asked there. */
  region: string;
  env: Env;
  fetch: typeof fetch;
}

const has = (profile: AwsProfile, key: string): boolean => typeof profile[key] === "string";

const isStatic = (profile: AwsProfile) =>
  has(profile, "aws_access_key_id") && has(profile, "aws_secret_access_key");

/** Whether a profile says how to get credentials at all (one with only `region` does not). */
export const givesCredentials = (profile: AwsProfile): boolean => isStatic(profile);

/**
 * Why the profile `name` gives no credentials, or undefined when it may (a fetch says more): not in
 * the files, or none of the settings a kind of profile needs. Said by a fetch's failure and by the
 * warnings at start and by `config check` (missing-credentials.ts).
 */
export function profileLacks(name: string, files: AwsSharedFiles): string | undefined {
  const profile = files.profiles.get(name);
  const where = `${files.configPath} or ${files.credentialsPath}`;
  if (profile === undefined) return `no AWS profile ${name} in ${where}`;
  if (!givesCredentials(profile))
    return `the AWS profile ${name} in ${where} has no credentials (aws_access_key_id and aws_secret_access_key)`;
  return undefined;
}

/**
 * A profile's credentials, as the AWS SDK for JavaScript resolves them
 * (@aws-sdk/credential-provider-ini resolveProfileData): static keys (`aws_access_key_id`,
 * `aws_secret_access_key`, `aws_session_token`). Its failures name the profile, never a secret.
 */
export async function profileCredentials(
  name: string,
  files: AwsSharedFiles,
  context: ProfileContext,
): Promise<Expiring<AwsCredentials>> {
  const lacks = profileLacks(name, files);
  const profile = files.profiles.get(name);
  if (lacks !== undefined || profile === undefined) throw credentialFailure(context.provider, lacks ?? name);
  if (isStatic(profile))
    return {
      value: withToken(
        profile.aws_access_key_id ?? "",
        profile.aws_secret_access_key ?? "",
        profile.aws_session_token,
      ),
      expiresAt: Number.POSITIVE_INFINITY,
    };
  throw credentialFailure(context.provider, `the AWS profile ${name} gives no credentials`);
}
