/**
 * A URL as output may name it: scheme, host, port and path (no trailing slash), never its user
 * info, query or fragment, where a credential may ride (`http://user:pw@gw`, `?token=…`). Text
 * that is no URL is echoed with whatever looks like those cut off. What an error names a gateway
 * or an upstream by: the CLI's calls through `--gateway`, `mindgw tail`'s, a worker's upstream.
 */
export function urlLabel(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return text.replace(/\/\/[^/@]*@/, "//").replace(/[?#].*$/, "");
  }
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, "")}`;
}
