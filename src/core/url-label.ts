/** `scheme://` at the start: only then is the text a URL `new URL` reads as its writer meant. */
const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;
/**
 * User info at the start of the text or after its `scheme://`: to its last `@` before any path,
 * query or fragment (a password may hold an `@`).
 */
const USER_INFO = /^((?:[^/?#]*:)?\/\/)?[^/?#]*@/;

/**
 * A URL as output may name it: scheme, host, port and path (no trailing slash), never its user
 * info, query or fragment, where a credential may ride (`http://user:pw@gw`, `?token=…`). Text
 * that is no URL, or has no `scheme://` (`mindgw tail` takes a bare `host:port`, which `new URL`
 * would read with `host:` or `user:` for a scheme), is echoed with whatever looks like those cut
 * off. What an error names a gateway or an upstream by: the CLI's calls through `--gateway`,
 * `mindgw tail`'s, a worker's upstream.
 */
export function urlLabel(text: string): string {
  if (SCHEME.test(text)) {
    try {
      const url = new URL(text);
      return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, "")}`;
    } catch {
      // Not a URL after all: cut as text.
    }
  }
  return text.replace(USER_INFO, "$1").replace(/[?#].*$/, "");
}
