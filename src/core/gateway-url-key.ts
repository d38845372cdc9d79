import { withoutShapes } from "./credential-shapes.ts";

/** Shorter than this, an admin key is no secret worth the name (credentials.ts's bound too). */
const SHORTEST = 8;

/**
 * Why a gateway URL is refused before any request when it holds a key, or undefined when it holds
 * none: the admin key itself (in any case: a host name is lowercased when parsed), or text of a
 * credential's shape (an operator who swapped `--gateway` and `--admin-key`, or their variables,
 * gives the key as the URL). One rule for `--gateway` of every command (cli/command-target.ts) and
 * `mindgw tail`'s. Sent, the key would go to the resolver as a host name, or in a request line the
 * gateway logs and audits as a path; echoed, it would be in the error. So the refusal names neither.
 */
export function keyInGatewayUrlRefusal(url: string, adminKey: string | undefined): string | undefined {
  const holdsAdminKey =
    adminKey !== undefined &&
    adminKey.length >= SHORTEST &&
    url.toLowerCase().includes(adminKey.toLowerCase());
  if (holdsAdminKey) return "it holds the admin key: give the gateway's URL, the key to --admin-key";
  if (withoutShapes(url) !== url)
    return "it reads as a key, not a URL (the URL and the admin key swapped?): give the gateway's URL";
  return undefined;
}
