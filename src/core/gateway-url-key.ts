import { withoutShapes } from "./credential-shapes.ts";

/** Shorter than this, a key is no secret worth the name (credentials.ts's bound too). */
const SHORTEST = 8;

/** What `keyInUrl` found: one of the keys it was given, or text of a key's shape. */
export type KeyInUrl = "holds-key" | "key-shaped";

/** A scheme before `://`: text without one is no URL but what was given in its place. */
const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;

/**
 * The least body of a credential in a URL's path, query or user info, past its prefix (`sk-`,
 * `sk-proj-`, `mgw_`…): generated keys carry 32 or more (DeepSeek's 32 hex, OpenAI's legacy 48, a
 * mindgw key's 43). A shorter one there is a name (`/sk-telecom-gateway2/`).
 */
const URL_KEY_BODY = 32;
/** A credential's prefix: a short word and its separator (`sk-`, `mgw_`, `ya29.`). */
const PREFIX = /^[A-Za-z0-9]{1,5}[-_.]/;

/** Whether one part of a URL (a path segment, a query name or value, the user info) reads as a key. */
function partReadsAsKey(part: string): boolean {
  return part.replace(PREFIX, "").length >= URL_KEY_BODY && withoutShapes(part) !== part;
}

/**
 * Text with no scheme read as a host and its port or path (`gw.internal:8080/mindgw`, which
 * `mindgw tail --gateway` takes; other flags refuse it after this check), when it has a `:` or `/`
 * no key has; null for one token (a key where the URL goes, swapped with it), which is read whole
 * for a key's shape.
 */
const hostAndMore = (text: string): URL | null => (/[:/]/.test(text) ? URL.parse(`http://${text}`) : null);

/**
 * The host of `url` as given, in its case (a parsed host name is lowercased, and a key's shape is
 * mixed case): past the scheme and the user info, before the port, path, query or fragment.
 */
function hostAsGiven(url: string): string {
  const authority = /^[^/?#]*/.exec(url.replace(SCHEME, ""))?.[0] ?? "";
  return authority.slice(authority.lastIndexOf("@") + 1).replace(/:\d*$/, "");
}

/**
 * Whether a key's shape with dots in it (Google's `ya29.` token, a JWT) runs across the host's
 * labels, which no one label holds: the host read whole is not what its labels read one by one.
 * A name's shape in one label (`sk-inference-server01.eu-west-1.example.com`) is no such shape.
 */
function shapeSpansDots(host: string): boolean {
  if (host.length < URL_KEY_BODY) return false;
  return withoutShapes(host) !== host.split(".").map(withoutShapes).join(".");
}

/** A path segment or the user info percent-decoded (`Bearer%20mgw_…`), or as it is when malformed. */
function percentDecoded(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

/**
 * Whether a URL given on the command line holds one of `keys` (in any case: a host name is
 * lowercased when parsed), or reads as a key: one token of a credential's shape, no scheme, port
 * or path (an operator who swapped the URL and a key, or their variables, gave the key as the URL), or a URL
 * whose host (a dot-separated label of it, in its case as given, or a dotted shape across its
 * labels: `shapeSpansDots`), path (percent-decoded), query or
 * user info holds a key-shaped part with a generated key's length; undefined when neither. A short
 * part is never read for a shape: `http://sk-inference-server01` and `/sk-telecom-gateway2/` are
 * ordinary names. Sent, the key would go to the resolver as a host
 * name, or in a request line the other side logs; echoed in the refusal, it would be in the error.
 * So a refusal of either names neither.
 */
export function keyInUrl(url: string, keys: readonly (string | undefined)[]): KeyInUrl | undefined {
  const lower = url.toLowerCase();
  if (keys.some((key) => key !== undefined && key.length >= SHORTEST && lower.includes(key.toLowerCase())))
    return "holds-key";
  const parsed = SCHEME.test(url) ? URL.parse(url) : hostAndMore(url);
  if (parsed === null) return withoutShapes(url) !== url ? "key-shaped" : undefined;
  const encoded = [parsed.username, parsed.password, ...parsed.pathname.split("/"), parsed.hash.slice(1)];
  const host = hostAsGiven(url);
  if (shapeSpansDots(host)) return "key-shaped";
  const parts = [...host.split("."), ...encoded.map(percentDecoded)];
  for (const [name, value] of parsed.searchParams) parts.push(name, value);
  return parts.some(partReadsAsKey) ? "key-shaped" : undefined;
}

/**
 * Why a URL is refused for what `keyInUrl` found, `held` naming the keys it looked for ("the admin
 * key"): the same words for every flag that takes a URL, which the caller names and advises after.
 */
export const keyInUrlWhy = (found: KeyInUrl, held: string): string =>
  found === "holds-key" ? `it holds ${held}` : "it reads as a key, not a URL";

/**
 * Why a gateway URL is refused before any request when it holds the admin key or reads as a key
 * (`keyInUrl`), or undefined: one rule for `--gateway` of every command (cli/command-target.ts) and
 * `mindgw tail`'s.
 */
export function keyInGatewayUrlRefusal(url: string, adminKey: string | undefined): string | undefined {
  const found = keyInUrl(url, [adminKey]);
  if (found === undefined) return undefined;
  const advice = found === "holds-key" ? ", the key to --admin-key" : " (the URL and the admin key swapped?)";
  return `${keyInUrlWhy(found, "the admin key")}: give the gateway's URL${advice}`;
}
