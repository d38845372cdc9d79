import { z } from "zod";
import type { Expiring } from "../credentials/cached-credential.ts";
import { credentialFailure } from "../credentials/credential-failure.ts";
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

/**
 * The keys as the container endpoint and EC2 instance metadata send them: the four fields the AWS
 * SDK for JavaScript requires of both (`endpointKeys`).
 */
const keysReply = z.looseObject({
  AccessKeyId: z.string().min(1),
  SecretAccessKey: z.string().min(1),
  Token: z.string(),
  Expiration: z.string(),
});
type KeysReply = z.infer<typeof keysReply>;

const KEY_FIELDS = ["AccessKeyId", "SecretAccessKey", "Token", "Expiration"] as const;

/**
 * The keys in `text`, sent by `what` (the container endpoint, EC2 instance metadata), taken as the
 * AWS SDK for JavaScript takes them (@aws-sdk/credential-provider-http fromHttp/requestHelpers.ts
 * getCredentials, @smithy/credential-provider-imds remoteProvider/ImdsCredentials.ts
 * isImdsCredentials): AccessKeyId, SecretAccessKey, Token and Expiration, each a string, the
 * expiry a date, else refused naming what was missing. Keys with no expiry would be held as if
 * they never lapse; the SDK's refusal lets its chain try its next link, and so does this one.
 */
export function endpointKeys(
  provider: string,
  what: string,
  text: string,
): KeysReply & { expiresAt: number } {
  const parsed = keysReply.safeParse(safeJson(text));
  if (!parsed.success) {
    const issues = parsed.error.issues;
    const lacking = KEY_FIELDS.filter((field) => issues.some((issue) => issue.path[0] === field));
    if (lacking.length === 0 || lacking.length === KEY_FIELDS.length)
      throw credentialFailure(provider, `${what} sent no keys`);
    throw credentialFailure(
      provider,
      `${what} sent keys without ${lacking.join(", ").replace(/, (?=[^,]*$)/, " and ")}, which the AWS SDKs refuse`,
    );
  }
  const expiresAt = Date.parse(parsed.data.Expiration);
  if (!Number.isFinite(expiresAt))
    throw credentialFailure(
      provider,
      `${what} sent an Expiration that is no date (${parsed.data.Expiration})`,
    );
  return { ...parsed.data, expiresAt };
}

/** `endpointKeys`' keys as a credential source gives them. */
export const expiringKeys = ({
  AccessKeyId,
  SecretAccessKey,
  Token,
  expiresAt,
}: ReturnType<typeof endpointKeys>): Expiring<AwsCredentials> => ({
  value: withToken(AccessKeyId, SecretAccessKey, Token),
  expiresAt,
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
