import { holdCredentials } from "../../core/credentials.ts";
import type { LogFields } from "../../log/logger.ts";
import { CachedCredential, type CredentialCalls, type Expiring } from "../credentials/cached-credential.ts";
import type { AwsClock } from "./aws-clock.ts";
import { secretsOf } from "./aws-credential-fetch.ts";
import { chainEnd, keysStep, profileIsSource } from "./aws-credential-step.ts";
import { type ProfileContext, profileCredentials } from "./aws-profile-credentials.ts";
import { namedProfile, readSharedFiles } from "./aws-shared-files.ts";
import { assumeRoleWithWebIdentity } from "./aws-sts.ts";
import { containerCredentials } from "./container-credentials.ts";
import { instanceMetadataCredentials, unlessDisabled } from "./ec2-instance-metadata.ts";

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** Static keys from config, or the profile to read; when absent, the steps of `awsCredentialSource` are taken. */
export interface AwsCredentialConfig {
  access_key_id?: string | undefined;
  secret_access_key?: string | undefined;
  session_token?: string | undefined;
  /** A profile of the shared config and credentials files (`~/.aws`), before `AWS_PROFILE`. */
  profile?: string | undefined;
}

type Env = Record<string, string | undefined>;

export interface AwsCredentialSourceOptions extends CredentialCalls {
  provider: string;
  region: string;
  config: AwsCredentialConfig;
  env?: Env;
  /** How long a profile's `credential_process` may run (default 60 s; tests shorten it). */
  processTimeoutMs?: number;
  /** The provider's AWS clock, an AssumeRole signed by it (aws-sts.ts). */
  clock?: AwsClock;
  /** Waits between the container endpoint's tries (container-credentials.ts; tests record them). */
  pause?: (ms: number) => Promise<void>;
  /** The gateway's log, for what a source could not do but worked around (aws-login-credentials.ts). */
  warn?: CredentialWarn;
}

/** A warning to the gateway's log, its fields never a secret. */
export type CredentialWarn = (message: string, fields: LogFields) => void;

/**
 * The credentials a Bedrock provider signs with, resolved in the AWS SDKs' order
 * (@aws-sdk/credential-provider-node defaultProvider): static keys in config; else
 * `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`(/`AWS_SESSION_TOKEN`), unless a profile is named
 * (`profile:` in config, else `AWS_PROFILE`); else that profile of the shared config and
 * credentials files (aws-profile-credentials.ts), which then is the source, or else the `default`
 * profile when it gives credentials; else a web identity token
 * file (`AWS_WEB_IDENTITY_TOKEN_FILE` + `AWS_ROLE_ARN`, as on EKS) exchanged at STS; else the
 * container credentials endpoint (`AWS_CONTAINER_CREDENTIALS_FULL_URI` or `_RELATIVE_URI`, as on
 * ECS and EKS Pod Identity); else EC2 instance metadata (ec2-instance-metadata.ts), unless
 * `AWS_EC2_METADATA_DISABLED`. Temporary credentials are cached and refreshed before expiry.
 */
export function awsCredentialSource(options: AwsCredentialSourceOptions): CachedCredential<AwsCredentials> {
  const env = options.env ?? process.env;
  const doFetch = options.fetch ?? fetch;
  const { config, provider } = options;
  const named = namedProfile(config.profile, env);
  const forever = (value: AwsCredentials): Expiring<AwsCredentials> => ({ value, expiresAt: Infinity });
  let fetchCredentials: () => Promise<Expiring<AwsCredentials>>;
  // What a fetch holds (core/credentials.ts), taken out of what the gateway tells and writes from
  // the moment each is known, as config's keys are (configured-credentials.ts): the secret and
  // session token it got (from the environment, a shared file's profile, STS, the container
  // endpoint or instance metadata), and those it got them with at STS or the container endpoint
  // (`hold`: a source profile's keys, the environment's, a chained role's session, a web identity
  // token, the container's authorization token), held before either is asked. None is named in
  // config, none has a known shape, and an AWS refusal may quote its signing material (a signature
  // mismatch's canonical request names `x-amz-security-token`).
  // A fetch's replace the last's once it succeeds (the last's are in use while it runs); a failed
  // one's stay held beside the last's until the next.
  const holder = {};
  let kept: string[] = [];
  let sources: string[] = [];
  const hold = (secrets: readonly string[]) => {
    sources.push(...secrets);
    holdCredentials(holder, [...kept, ...sources]);
  };
  // The chain's order is aws-credential-step.ts's, which the warnings at start read too.
  const keys = keysStep(config, named, env);
  if (keys !== undefined) {
    const value = keys.value;
    fetchCredentials = async () => forever(value);
  } else {
    // One for both steps that may ask it (a profile's credential_source, the chain's last): it keeps state.
    const instanceMetadata = instanceMetadataCredentials(provider, env, doFetch, config.profile);
    const context = {
      provider,
      region: options.region,
      env,
      profile: config.profile,
      fetch: doFetch,
      instanceMetadata,
      hold,
      ...(options.now ? { now: options.now } : {}),
      ...(options.processTimeoutMs ? { processTimeoutMs: options.processTimeoutMs } : {}),
      ...(options.clock ? { clock: options.clock } : {}),
      ...(options.pause ? { pause: options.pause } : {}),
      ...(options.warn ? { warn: options.warn } : {}),
    };
    const after = named ? undefined : afterProfiles(context);
    // The files are read at each fetch (a refresh), not at start: `aws configure` may write them later.
    fetchCredentials = async () => {
      const files = readSharedFiles(env);
      const name = named ?? "default";
      // The profile named is the source: its failure says it is not there, or what it lacks.
      if (!after || profileIsSource(named, files.profiles.get(name)))
        return profileCredentials(name, files, context);
      return after();
    };
  }
  const fetchAndHold = async () => {
    sources = [];
    const got = await fetchCredentials();
    kept = [...sources, ...secretsOf(got.value)];
    holdCredentials(holder, kept);
    return got;
  };
  const credential = new CachedCredential({
    fetch: fetchAndHold,
    ...(options.now ? { now: options.now } : {}),
    refreshFailed: options.refreshFailed,
  });
  unheldWhenGone.register(credential, holder);
  return credential;
}

/** The steps after the default profile, chosen by the environment. */
function afterProfiles(context: ProfileContext): () => Promise<Expiring<AwsCredentials>> {
  const { env } = context;
  const end = chainEnd(env);
  if (end.step === "web identity") {
    const identity = {
      tokenFile: end.tokenFile,
      roleArn: end.roleArn,
      // `||`: an empty name is none, as in the AWS SDKs (STS would refuse an empty RoleSessionName).
      sessionName: env.AWS_ROLE_SESSION_NAME || "mindgw",
    };
    return () => assumeRoleWithWebIdentity(context, identity);
  }
  if (end.step === "container") return () => containerCredentials(context);
  return unlessDisabled(context.provider, env, context.instanceMetadata);
}

/** A source gone (its provider replaced by a reload and collected) lets go of what it held. */
const unheldWhenGone = new FinalizationRegistry<object>((holder) => holdCredentials(holder, []));
