import { readGatewayUrl } from "./gateway-url.ts";
import { keyInGatewayUrlRefusal } from "./gateway-url-key.ts";

export type GatewayTargetReading = { ok: true; url: URL } | { ok: false; refusal: string };

/**
 * A gateway to call with an admin key, refused before any request in the one order every command
 * refuses it (cli/command-target.ts `chooseTarget`, tui/run-tail.ts): a key given in the URL, first
 * (read as a URL, it would be tried as a host name, and echoed); a URL not read
 * (core/gateway-url.ts); no admin key. `from` names where the URL came from (`--gateway`,
 * `MINDGW_GATEWAY`), `needs` what needs the key (`from`, or `tail` at its default URL).
 */
export function readGatewayTarget(
  gateway: string,
  adminKey: string | undefined,
  from: string,
  needs: string = from,
): GatewayTargetReading {
  const keyInUrl = keyInGatewayUrlRefusal(gateway, adminKey);
  if (keyInUrl) return { ok: false, refusal: `${from}: ${keyInUrl}` };
  const reading = readGatewayUrl(gateway);
  if (!reading.ok) return { ok: false, refusal: `${from}: ${reading.why}` };
  if (!adminKey) return { ok: false, refusal: `${needs} needs --admin-key or MINDGW_ADMIN_KEY` };
  return { ok: true, url: reading.url };
}
