import { urlLabel } from "./url-label.ts";

/** A redirect's status (3xx), which no call of the gateway's own follows (docs/SECURITY.md, "Upstream redirects"). */
export const isRedirectStatus = (status: number): boolean => status >= 300 && status <= 399;

/**
 * How a message says what answered a redirect, which the gateway did not follow, after the name
 * of what answered (`upstream fa`, `the receiver`): the status and where it led as `urlLabel`
 * names a URL (no user info, no query, where a key may ride: Gemini's `?key=`).
 */
export function redirectNotFollowed(status: number, location: string | null): string {
  const to = location ? ` to ${urlLabel(location)}` : "";
  return `answered ${status}, a redirect${to}, which the gateway does not follow`;
}
