import { messageOf } from "../core/describe-error.ts";
import { ApiError } from "./api.ts";

/**
 * Why the page cannot tell whether the browser is signed in: `/admin/auth/session` failed. The
 * sign-in page says it, where it would otherwise stand there as if nothing were wrong (a key typed
 * into it would then fail too, for the same reason).
 */
export function sessionUnreadMessage(failure: unknown): string {
  if (failure instanceof ApiError)
    return `The gateway could not read the session: ${failure.message}. Reload the page to try again.`;
  return `The gateway could not be reached to read the session (${messageOf(failure)}). Check that it is running, then reload the page.`;
}

/**
 * Said on the sign-in page when a call is refused (401) because the session ended while the page
 * was in use: it expired, was signed out in another tab, or its key was revoked. Without it the
 * page dropped to the sign-in form with no word of why.
 */
export const SESSION_ENDED =
  "Your session has ended: it expired, was signed out elsewhere, or was revoked. Sign in again.";

/**
 * Said instead when the gateway ended the session because nobody used the page for
 * `admin_ui.session_idle_timeout` (its 401 says `x-session-ended: idle`).
 */
export const SESSION_IDLE =
  "Your session has ended: the console was not used for a while, so it was signed out for inactivity. Sign in again.";
