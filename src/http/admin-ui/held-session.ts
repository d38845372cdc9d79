import { cookieValue, SESSION_COOKIE } from "./session-cookie.ts";
import { sessionIdHash } from "./session-store.ts";

/**
 * The id hash of the session the request's cookie names, if it carries one. The cookie is
 * SameSite=Strict: a same-site request carries it (the sign-in page's key sign-in, its link to
 * single sign-on's start), a cross-site one does not (the identity provider's redirect back).
 */
export function heldSession(request: Request): string[] {
  const id = cookieValue(request.headers.get("cookie"), SESSION_COOKIE);
  return id === null ? [] : [sessionIdHash(id)];
}
