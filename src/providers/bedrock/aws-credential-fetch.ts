import { z } from "zod";
import type { AwsCredentials } from "./aws-credentials.ts";

/** What the AWS credential endpoints share: the keys' shape and their expiry (their requests: fetch-token.ts fetchText). */

export const withToken = (
  accessKeyId: string,
  secretAccessKey: string,
  sessionToken?: string,
): AwsCredentials =>
  sessionToken ? { accessKeyId, secretAccessKey, sessionToken } : { accessKeyId, secretAccessKey };

/**
 * The secret and the session token of keys, to be taken out of what the gateway tells and writes
 * (core/credentials.ts): the access key id is no secret, and is what a log may name.
 */
export const secretsOf = (keys: AwsCredentials): string[] =>
  keys.sessionToken ? [keys.secretAccessKey, keys.sessionToken] : [keys.secretAccessKey];

/** The keys as the container endpoint and EC2 instance metadata send them. */
export const keysReply = z.looseObject({
  AccessKeyId: z.string().min(1),
  SecretAccessKey: z.string().min(1),
  Token: z.string().optional(),
  Expiration: z.string().optional(),
  /** EC2 instance metadata's: `Success`, else why it has no keys. */
  Code: z.string().optional(),
});

export const safeJson = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

/** An ISO expiry, or one hour from now when the source does not say. */
export const expiry = (iso: string | undefined) => {
  const at = iso ? Date.parse(iso) : Number.NaN;
  return Number.isFinite(at) ? at : Date.now() + 3_600_000;
};
