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

/** Hosts a bare `host:port` may name: this machine's loopback, where http carries nothing off it. */
const LOOPBACK = /^(?:localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

/**
 * `http(s)://host[:port][/prefix]`; a bare `host:port` is taken as http on this machine's loopback
 * only, for every command: elsewhere the scheme is asked for, as a bare host would send the admin
 * key in the clear unasked (to a TLS port too: `gw.example.com:443`). Spaces about it (an env file's `MINDGW_GATEWAY=http://gw:8080 `)
 * are dropped. A query or fragment is refused (core/gateway-url-query.ts). The text is echoed as
 * urlLabel cuts it, never its user info, query or fragment. Read before the key check's refusal
 * only (gateway-url-key.ts): a key given as a host must not be echoed here.
 */
export function readGatewayUrl(given: string): GatewayUrlReading {
  const text = given.trim();
  if (text === "") return { ok: false, why: "no gateway URL: give --gateway or MINDGW_GATEWAY" };
  const label = urlLabel(text);
  let url: URL;
  const bare = !SCHEME.test(text);
  try {
    url = new URL(bare ? `http://${text}` : text);
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
  if (refusal) return { ok: false, why: refusal };
  if (bare && !LOOPBACK.test(url.hostname))
    return {
      ok: false,
      why: `no scheme in ${label}: give http://${label} or https://${label} (a bare host:port is taken as http on loopback only, where the admin key goes nowhere in the clear)`,
    };
  return { ok: true, url };
}
