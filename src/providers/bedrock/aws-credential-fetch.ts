import { z } from "zod";
import { withWhy } from "../../core/why-unreachable.ts";
import { credentialFailure, statedWait } from "../credentials/credential-failure.ts";
import type { AwsCredentials } from "./aws-credentials.ts";

/** What the AWS credential endpoints share: the keys' shape, one GET/POST and its failures. */

export const withToken = (
  accessKeyId: string,
  secretAccessKey: string,
  sessionToken?: string,
): AwsCredentials =>
  sessionToken ? { accessKeyId, secretAccessKey, sessionToken } : { accessKeyId, secretAccessKey };

/** The keys as the container endpoint and EC2 instance metadata send them. */
export const keysReply = z.looseObject({
  AccessKeyId: z.string().min(1),
  SecretAccessKey: z.string().min(1),
  Token: z.string().optional(),
  Expiration: z.string().optional(),
  /** EC2 instance metadata's: `Success`, else why it has no keys. */
  Code: z.string().optional(),
});

/**
 * The text `what` (STS, the container endpoint, EC2 instance metadata) answered, or a retryable 502
 * saying why none came: unreachable, no answer within `timeoutMs`, or a status.
 */
export async function getText(
  provider: string,
  url: string,
  init: RequestInit,
  doFetch: typeof fetch,
  what: string,
  timeoutMs = 10_000,
): Promise<string> {
  let response: Response;
  try {
    response = await doFetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    const words =
      error instanceof DOMException && error.name === "TimeoutError"
        ? `${what} did not answer within ${timeoutMs / 1000} s`
        : withWhy(`${what} could not be reached`, error);
    throw credentialFailure(provider, words, { cause: error });
  }
  const text = await response.text();
  if (!response.ok)
    throw credentialFailure(
      provider,
      `${what} answered ${response.status}`,
      {},
      statedWait(response, Date.now()),
    );
  return text;
}

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
