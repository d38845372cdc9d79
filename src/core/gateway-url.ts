import { queryOrFragmentRefusal } from "./gateway-url-query.ts";
import { urlLabel } from "./url-label.ts";

/** A gateway's URL as every command's `--gateway` (and `MINDGW_GATEWAY`) reads it, or why not. */
export type GatewayUrlReading =
  | { readonly ok: true; readonly url: URL }
  | { readonly ok: false; readonly why: string };

const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;
/** A port after the host, read where `new URL` refused the text: `…:99999` is past 65535. */
const PORT = /^(?:[a-z][a-z0-9+.-]*:\/\/)?(?:[^/?#@]*@)?(?:\[[^\]]*\]|[^/?#:[\]]*):(\d+)(?:[/?#]|$)/i;
/** WHATWG URL parsing lets odd hosts through (`ht!tp`): a typo is a usage error, not a DNS failure. */
const HOST = /^([a-z0-9_-]+\.)*[a-z0-9_-]+$|^\[[0-9a-f:.]+\]$/i;

/**
 * `http(s)://host[:port][/prefix]`; a bare `host:port` is taken as http, for every command as
 * `mindgw tail` always took it. Spaces about it (an env file's `MINDGW_GATEWAY=http://gw:8080 `)
 * are dropped. A query or fragment is refused (core/gateway-url-query.ts). The text is echoed as
 * urlLabel cuts it, never its user info, query or fragment. Read before the key check's refusal
 * only (gateway-url-key.ts): a key given as a host must not be echoed here.
 */
export function readGatewayUrl(given: string): GatewayUrlReading {
  const text = given.trim();
  if (text === "") return { ok: false, why: "no gateway URL: give --gateway or MINDGW_GATEWAY" };
  const label = urlLabel(text);
  let url: URL;
  try {
    url = new URL(SCHEME.test(text) ? text : `http://${text}`);
  } catch {
    const port = PORT.exec(text)?.[1];
    if (port !== undefined && Number(port) > 65535)
      return { ok: false, why: `not a port: ${port} (1 to 65535) in ${label}` };
    return { ok: false, why: `not an http(s) URL: ${label}` };
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    return { ok: false, why: `not an http(s) URL: ${label}` };
  if (!HOST.test(url.hostname)) return { ok: false, why: `bad host name in ${label}` };
  const refusal = queryOrFragmentRefusal(url);
  return refusal ? { ok: false, why: refusal } : { ok: true, url };
}
