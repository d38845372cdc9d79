import { holdCredentials } from "../../core/credentials.ts";
import type { AwsCredentialConfig } from "./aws-credentials.ts";

/** The holder of the environment's key: the variable is the process's, whichever providers read it. */
const ENVIRONMENT = {};

/**
 * An Amazon Bedrock API key, `AWS_BEARER_TOKEN_BEDROCK`, sent as `Authorization: Bearer` instead
 * of a SigV4 signature: the AWS SDKs prefer it so wherever it is set (their `httpBearerAuth`
 * scheme for services signed as `bedrock`), and Bedrock's console and Claude Code's setup have
 * users set it alone, with no AWS credentials beside it. A provider whose config names its own
 * `aws:` keys or `profile:` signs with those, config saying more than the process's environment.
 * Undefined: SigV4 with the credential chain (aws-credentials.ts).
 */
export function bedrockApiKey(
  config: AwsCredentialConfig,
  env: Record<string, string | undefined>,
): string | undefined {
  const key = environmentApiKey(config, env);
  if (!key) return undefined;
  // Taken out of whatever the gateway tells or writes, as config's keys are (core/credentials.ts).
  holdCredentials(ENVIRONMENT, [key]);
  return key;
}

/**
 * The key `bedrockApiKey` would send, without holding it: for a warning at start or `config check`
 * (aws-profile-problem.ts), where the key standing in for SigV4 makes `AWS_PROFILE` unread.
 */
export function environmentApiKey(
  config: Pick<AwsCredentialConfig, "access_key_id" | "profile">,
  env: Record<string, string | undefined>,
): string | undefined {
  if (config.access_key_id || config.profile) return undefined;
  return env.AWS_BEARER_TOKEN_BEDROCK?.trim() || undefined;
}
