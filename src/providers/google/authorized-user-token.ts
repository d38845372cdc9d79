import {
  type CachedCredential,
  type CredentialCalls,
  cachedCredential,
} from "../credentials/cached-credential.ts";
import { fetchOAuthToken } from "../credentials/fetch-token.ts";
import type { AuthorizedUser } from "./service-account-key.ts";

/**
 * An OAuth access token for a user (`gcloud auth application-default login`): the refresh token
 * grant (RFC 6749 §6) at `token_uri`, with the client id and secret gcloud wrote beside it, as
 * Google's libraries' UserRefreshClient sends it. A revoked or expired refresh token is the
 * endpoint's `invalid_grant`, said as such.
 */
export function authorizedUserToken(
  provider: string,
  user: AuthorizedUser,
  calls: CredentialCalls = {},
): CachedCredential<string> {
  return cachedCredential(calls, (doFetch, now) =>
    fetchOAuthToken(
      provider,
      user.token_uri,
      {
        refresh_token: user.refresh_token,
        client_id: user.client_id,
        client_secret: user.client_secret,
        grant_type: "refresh_token",
      },
      doFetch,
      now,
    ),
  );
}
