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

/**
 * Whether `text` holds a credential's shape as given or lowercased: a host goes to the resolver
 * lowercased, and a key in another case (`MGW_Q7PX…`, `SK-PROJ-…`) is the key up to its case all
 * the same. (A shape that needs its capitals, `AIza`, `eyJ`, is read only as given.)
 */
function holdsShape(text: string): boolean {
  const lower = text.toLowerCase();
  return withoutShapes(text) !== text || withoutShapes(lower) !== lower;
}

/** Whether one part of a URL (a host label, a path segment, a query name or value, the user info) reads as a key. */
const partReadsAsKey = (part: string): boolean =>
  part.replace(PREFIX, "").length >= URL_KEY_BODY && holdsShape(part);

/**
 * Text with no scheme read as a host and its port or path (`gw.internal:8080/mindgw`, which
 * `--gateway` reads on loopback and asks the scheme of elsewhere, after this check), when it has a `:` or `/`
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
  return [host, host.toLowerCase()].some(
    (text) => withoutShapes(text) !== text.split(".").map(withoutShapes).join("."),
  );
}

/**
 * `text` with each percent-escape decoded to its byte (`%5F` → `_`, `Bearer%20mgw_…`), a malformed
 * one left as written: the URL parser decodes a host's escapes before the resolver sees it, and a
 * server a path's. A key is ASCII, so a byte read as one character is all a shape needs.
 */
const percentDecoded = (text: string): string =>
  text.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));

/**
 * Whether a URL given on the command line holds one of `keys` (in any case: a host name is
 * lowercased when parsed; percent-escaped or not: it is decoded), or reads as a key (as given,
 * percent-decoded, or lowercased: `holdsShape`): one token of a credential's shape, no scheme, port
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
  const readings = [url.toLowerCase(), percentDecoded(url).toLowerCase()];
  const held = (key: string | undefined) =>
    key !== undefined && key.length >= SHORTEST && readings.some((text) => text.includes(key.toLowerCase()));
  if (keys.some(held)) return "holds-key";
  const parsed = SCHEME.test(url) ? URL.parse(url) : hostAndMore(url);
  if (parsed === null) return holdsShape(percentDecoded(url)) ? "key-shaped" : undefined;
  const encoded = [parsed.username, parsed.password, ...parsed.pathname.split("/"), parsed.hash.slice(1)];
  const host = percentDecoded(hostAsGiven(url));
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
