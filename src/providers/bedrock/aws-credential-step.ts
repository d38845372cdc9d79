import { withToken } from "./aws-credential-fetch.ts";
import type { AwsCredentials } from "./aws-credentials.ts";
import { givesCredentials } from "./aws-profile-credentials.ts";
import type { AwsProfile, AwsSharedFiles } from "./aws-shared-files.ts";

type Env = Record<string, string | undefined>;

/**
 * The steps of the credential chain past the shared files, chosen by the environment alone: a web
 * identity token file exchanged at STS, else the container credentials endpoint, else EC2
 * instance metadata (which `AWS_EC2_METADATA_DISABLED` turns off where it is asked).
 */
export type ChainEnd =
  | { step: "web identity"; tokenFile: string; roleArn: string }
  | { step: "container" }
  | { step: "instance metadata" };

/**
 * The step of the credential chain (aws-credentials.ts `awsCredentialSource`) that gets a Bedrock
 * provider's credentials, in the AWS SDKs' order (@aws-sdk/credential-provider-node
 * defaultProvider): config's keys, the environment's, a profile of the shared files (`name`, its
 * settings `profile` when it is there), or the chain's end. One place for the order, which the
 * chain takes and the warnings at start and by `config check` read (aws-profile-problem.ts).
 */
export type AwsCredentialStep =
  | KeysStep
  | { step: "profile"; name: string; profile: AwsProfile | undefined }
  | ChainEnd;

/** Static keys, config's or the environment's: the chain's first steps, with the keys they give. */
export interface KeysStep {
  step: "config" | "environment";
  value: AwsCredentials;
}

/** Config's static keys (`aws:`, or the credentials a Bedrock provider is made with). */
export type ConfigKeys = {
  access_key_id?: string | undefined;
  secret_access_key?: string | undefined;
  session_token?: string | undefined;
};

/**
 * The steps decided before the shared files are read: config's static keys, else the
 * environment's `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`(/`AWS_SESSION_TOKEN`) unless a profile
 * is named (`named`: `profile:` in config, else `AWS_PROFILE`); undefined when the files decide.
 */
export function keysStep(
  keys: ConfigKeys | undefined,
  named: string | undefined,
  env: Env,
): KeysStep | undefined {
  if (keys?.access_key_id && keys.secret_access_key)
    return {
      step: "config",
      value: withToken(keys.access_key_id, keys.secret_access_key, keys.session_token),
    };
  const { AWS_ACCESS_KEY_ID: id, AWS_SECRET_ACCESS_KEY: secret } = env;
  if (!named && id && secret)
    return { step: "environment", value: withToken(id, secret, env.AWS_SESSION_TOKEN) };
  return undefined;
}

/**
 * Whether the profile of the shared files is the source: the one named, whatever it holds (its
 * failure says what it lacks), or `default` (`profile`, when there) when it gives credentials.
 */
export const profileIsSource = (named: string | undefined, profile: AwsProfile | undefined): boolean =>
  named !== undefined || (profile !== undefined && givesCredentials(profile));

/** The chain's end (`ChainEnd`), as the environment says. */
export function chainEnd(env: Env): ChainEnd {
  const { AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile, AWS_ROLE_ARN: roleArn } = env;
  if (tokenFile && roleArn) return { step: "web identity", tokenFile, roleArn };
  if (env.AWS_CONTAINER_CREDENTIALS_FULL_URI || env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI)
    return { step: "container" };
  return { step: "instance metadata" };
}

/** The chain's step (`AwsCredentialStep`) as config, the environment and the shared `files` now stand. */
export function awsCredentialStep(
  keys: ConfigKeys | undefined,
  named: string | undefined,
  env: Env,
  files: AwsSharedFiles,
): AwsCredentialStep {
  const before = keysStep(keys, named, env);
  if (before !== undefined) return before;
  const name = named ?? "default";
  const profile = files.profiles.get(name);
  return profileIsSource(named, profile) ? { step: "profile", name, profile } : chainEnd(env);
}
