import { urlLabel } from "./url-label.ts";

/**
 * What a call to a gateway's admin API (`--gateway`: the CLI's commands, `mindgw tail`) says of an
 * answer that redirects, which it never follows: to another origin (a proxy sending http to https)
 * the key does not go along, and the 401 there would read as a wrong key. Names where the URL leads,
 * by `urlLabel`; null for an answer that is no redirect. The caller ends with exit code 2.
 */
export function redirectRefusal(response: Response, requested: string | URL, label: string): string | null {
  const location = response.headers.get("location");
  if (response.status < 300 || response.status > 399 || location === null) return null;
  const to = urlLabel(URL.canParse(location, requested) ? new URL(location, requested).href : location);
  return `${label} redirects (HTTP ${response.status}) to ${to}: give --gateway the URL it leads to`;
}
