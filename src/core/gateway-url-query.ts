import { urlLabel } from "./url-label.ts";

/**
 * Why a gateway URL with a query or fragment is refused, or undefined when it has neither: one
 * rule for `--gateway` of every command (cli/command-target.ts) and `mindgw tail`'s. The admin path
 * is put after the URL: after a query or fragment it is no path (the call went to `/`). Refused,
 * not cut off: what a query carries may be a secret, so it is not echoed. `href`, not `search`:
 * an empty `?` or `#` counts too.
 */
export function queryOrFragmentRefusal(url: URL): string | undefined {
  if (!/[?#]/.test(url.href)) return undefined;
  return `a URL with a query or fragment: give ${urlLabel(url.href)} without it`;
}
