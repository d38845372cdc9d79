import { isRedirectStatus, redirectNotFollowed } from "../../core/redirect-words.ts";
import { OidcError } from "./oidc-error.ts";

/**
 * The provider's answer, unless it is a redirect: no request of a sign-in follows one, as no other
 * call of the gateway does (docs/SECURITY.md, "Upstream redirects"). Followed, a redirect (to plain
 * http, or by whoever sits on the way) would hand discovery's endpoints, the JWKS's keys or the
 * token request's code and secret to wherever it pointed, past the https checks on the URLs
 * named. A 3xx throws OidcError `unavailable`: `what` answered it, where it pointed (no user info,
 * no query), and `fix`.
 */
export function notRedirected(response: Response, what: string, fix: string): Response {
  if (!isRedirectStatus(response.status)) return response;
  throw new OidcError(
    `${what} ${redirectNotFollowed(response.status, response.headers.get("location"))}: ${fix}`,
    "unavailable",
  );
}
