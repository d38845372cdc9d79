import { withoutShapes } from "./credential-shapes.ts";

/** Shorter than this, a key is no secret worth the name (credentials.ts's bound too). */
const SHORTEST = 8;

/**
 * Whether a URL given on the command line holds one of `keys` (in any case: a host name is
 * lowercased when parsed), or text of a credential's shape (an operator who swapped the URL and a
 * key, or their variables, gives the key as the URL); undefined when neither. Sent, the key would
 * go to the resolver as a host name, or in a request line the other side logs; echoed in the
 * refusal, it would be in the error. So a refusal of either names neither.
 */
export function keyInUrl(
  url: string,
  keys: readonly (string | undefined)[],
): "holds-key" | "key-shaped" | undefined {
  const lower = url.toLowerCase();
  if (keys.some((key) => key !== undefined && key.length >= SHORTEST && lower.includes(key.toLowerCase())))
    return "holds-key";
  return withoutShapes(url) !== url ? "key-shaped" : undefined;
}

/**
 * Why a gateway URL is refused before any request when it holds the admin key or reads as a key
 * (`keyInUrl`), or undefined: one rule for `--gateway` of every command (cli/command-target.ts) and
 * `mindgw tail`'s.
 */
export function keyInGatewayUrlRefusal(url: string, adminKey: string | undefined): string | undefined {
  switch (keyInUrl(url, [adminKey])) {
    case "holds-key":
      return "it holds the admin key: give the gateway's URL, the key to --admin-key";
    case "key-shaped":
      return "it reads as a key, not a URL (the URL and the admin key swapped?): give the gateway's URL";
    default:
      return undefined;
  }
}
