const ENDPOINT = "/workers/connect";

/**
 * Turns `--connect` into the endpoint's WebSocket URL: http(s) becomes ws(s) and the
 * endpoint path is appended unless given. Credentials never go in the URL, so one with a
 * query string or user info is refused.
 */
export function toConnectUrl(input: string): URL {
  const url = new URL(input);
  const schemes: Record<string, string> = { "http:": "ws:", "https:": "wss:", "ws:": "ws:", "wss:": "wss:" };
  const scheme = schemes[url.protocol];
  if (!scheme)
    throw new Error(`--connect must be a ws://, wss://, http:// or https:// URL, not ${url.protocol}`);
  if (url.search !== "" || url.username !== "" || url.password !== "") {
    throw new Error("--connect must not carry credentials or a query string; the token goes in --token");
  }
  url.protocol = scheme;
  const path = url.pathname.replace(/\/+$/, "");
  url.pathname = path.endsWith(ENDPOINT) ? path : `${path}${ENDPOINT}`;
  url.hash = "";
  return url;
}
