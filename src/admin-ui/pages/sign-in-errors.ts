/**
 * Why a sign-in sent the browser back to the sign-in page (`/admin/?error=<code>`): a code, and
 * the page's own words for it. Anyone can write a link with any `?error=`, so the page shows only
 * these fixed messages and nothing for a code it does not know.
 */
export const SIGN_IN_ERRORS = {
  sso_unavailable: "Single sign-on is unavailable; see the gateway log.",
  sso_expired: "The sign-in expired or did not start here; try again.",
  sso_refused: "Single sign-on refused this account; see the gateway log.",
  sso_rate_limited: "Too many sign-in attempts from this address; try again in a minute.",
} as const;

export type SignInError = keyof typeof SIGN_IN_ERRORS;

/** The longest wait `retry_after` may say: the sign-in bound's minute, with room to spare. */
const LONGEST_WAIT_S = 3600;

/** `retry_after` as whole seconds, when it is one the gateway could have sent; else undefined. */
function waitOf(text: string | null): number | undefined {
  if (text === null || !/^\d{1,4}$/.test(text)) return undefined;
  const seconds = Number(text);
  return seconds >= 1 && seconds <= LONGEST_WAIT_S ? seconds : undefined;
}

/**
 * The message for the sign-in page's query (`error=`, and with `sso_rate_limited` the
 * `retry_after` seconds, a number or nothing); empty for a code it does not know.
 */
export function signInErrorMessage(query: URLSearchParams): string {
  const code = query.get("error");
  if (code === null || !Object.hasOwn(SIGN_IN_ERRORS, code)) return "";
  const wait = code === "sso_rate_limited" ? waitOf(query.get("retry_after")) : undefined;
  if (wait !== undefined) return `Too many sign-in attempts from this address; try again in ${wait} s.`;
  return SIGN_IN_ERRORS[code as SignInError];
}
