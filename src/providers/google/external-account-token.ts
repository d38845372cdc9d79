import {
  type CachedCredential,
  type CredentialCalls,
  cachedCredential,
} from "../credentials/cached-credential.ts";
import { type ReadToken, requestToken, type TokenRequest } from "../credentials/fetch-token.ts";
import type { ExternalAccount } from "./external-account.ts";
import { CLOUD_PLATFORM_SCOPE } from "./service-account-key.ts";
import { subjectToken } from "./subject-token.ts";

/**
 * An access token by workload identity federation, as google-auth-library's
 * BaseExternalAccountClient gets one: the subject token (subject-token.ts) exchanged at the file's
 * `token_url` (RFC 8693, form-encoded); with a `service_account_impersonation_url`, that token
 * then buys the service account's own at IAM Credentials' generateAccessToken (`{scope, lifetime}`
 * in, `{accessToken, expireTime}` out). Cached and refreshed as any (cached-credential.ts).
 */
export function externalAccountToken(
  provider: string,
  account: ExternalAccount,
  calls: CredentialCalls = {},
): CachedCredential<string> {
  return cachedCredential(calls, async (doFetch, now) => {
    const subject = await subjectToken(provider, account.credential_source, doFetch, now);
    const exchanged = await requestToken(provider, exchange(account, subject), undefined, doFetch, now);
    const url = account.service_account_impersonation_url;
    if (!url) return exchanged;
    return requestToken(provider, impersonation(account, url, exchanged.value), readIamToken, doFetch, now, {
      refused: (status) => (status === 403 ? IMPERSONATION_REFUSED : undefined),
    });
  });
}

/** STS's token exchange, field for field as google-auth-library's StsCredentials sends it. */
function exchange(account: ExternalAccount, subject: string): TokenRequest {
  const form: Record<string, string> = {
    grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
    audience: account.audience,
    scope: CLOUD_PLATFORM_SCOPE,
    requested_token_type: "urn:ietf:params:oauth:token-type:access_token",
    subject_token: subject,
    subject_token_type: account.subject_token_type,
  };
  // A workforce pool's project, Google's own addition to RFC 8693, when no client pays for the call.
  if (!account.client_id && account.workforce_pool_user_project)
    form.options = JSON.stringify({ userProject: account.workforce_pool_user_project });
  const headers: Record<string, string> = {
    "content-type": "application/x-www-form-urlencoded",
    accept: "application/json",
  };
  if (account.client_id)
    headers.authorization = `Basic ${btoa(`${account.client_id}:${account.client_secret ?? ""}`)}`;
  return {
    url: account.token_url,
    what: "the STS token endpoint",
    init: { method: "POST", headers, body: new URLSearchParams(form).toString() },
  };
}

/** generateAccessToken for the service account, with STS's token as the bearer. */
function impersonation(account: ExternalAccount, url: string, bearer: string): TokenRequest {
  const lifetime = account.service_account_impersonation?.token_lifetime_seconds ?? 3600;
  return {
    url,
    what: "the service account impersonation endpoint",
    init: {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${bearer}` },
      body: JSON.stringify({ scope: [CLOUD_PLATFORM_SCOPE], lifetime: `${lifetime}s` }),
    },
  };
}

const IMPERSONATION_REFUSED =
  "the service account impersonation endpoint answered 403: the federated identity may not impersonate the service account (it needs roles/iam.workloadIdentityUser on it)";

/** IAM Credentials' answer: `accessToken` until `expireTime` (RFC 3339). */
const readIamToken: ReadToken = (reply) => {
  if (typeof reply !== "object" || reply === null) return "no accessToken";
  const { accessToken, expireTime } = reply as Record<string, unknown>;
  if (typeof accessToken !== "string" || accessToken === "") return "no accessToken";
  const expiresAt = typeof expireTime === "string" ? Date.parse(expireTime) : Number.NaN;
  return Number.isFinite(expiresAt) ? { value: accessToken, expiresAt } : "no expireTime";
};
