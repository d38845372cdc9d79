/**
 * Why a sign-in sent the browser back to the sign-in page (`/admin/?error=<code>`): a code, and
 * the page's own words for it. Anyone can write a link with any `?error=`, so the page shows only
 * these fixed messages and nothing for a code it does not know.
 */
export const SIGN_IN_ERRORS = {
  sso_unavailable: "Single sign-on is unavailable; see the gateway log.",
  sso_expired: "The sign-in expired or did not start here; try again.",
  sso_refused: "Single sign-on refused this account; see the gateway log.",
} as const;

export type SignInError = keyof typeof SIGN_IN_ERRORS;

/** The message for a `?error=` code; empty for anything else. */
export const signInErrorMessage = (code: string | null): string =>
  code !== null && Object.hasOwn(SIGN_IN_ERRORS, code) ? SIGN_IN_ERRORS[code as SignInError] : "";
