import { readGatewayUrl } from "../core/gateway-url.ts";
import { urlLabel } from "../core/url-label.ts";

/**
 * Sent on every request the tail makes, naming it in the audit rows and access lines. The view
 * knows its own calls by their request ids (own-calls.ts), never by this, which any client may send.
 */
export const TAIL_USER_AGENT = "mindgw-tail";

/** Where the admin API of one gateway lives, and how to name it without leaking secrets. */
export interface GatewayTarget {
  eventsUrl: URL;
  workersUrl: URL;
  /** Scheme, host, port and path only: no user info, query or fragment. */
  label: string;
  /** The one tenant whose part is read (`--tenant`, `forTenant`); unset, every part the key may read. */
  tenant?: string;
}

export type TargetResult = { ok: true; target: GatewayTarget } | { ok: false; error: string };

/**
 * Where the tail reads, from `--gateway` as every command reads it (core/gateway-url.ts), refused
 * as every command refuses it: naming `from`, the flag or variable it came from (`--gateway: …`).
 */
export function resolveGateway(gateway: string, from = "--gateway"): TargetResult {
  const reading = readGatewayUrl(gateway);
  return reading.ok
    ? { ok: true, target: gatewayTargetAt(reading.url) }
    : { ok: false, error: `${from}: ${reading.why}` };
}

/** The tail's calls to the gateway at `url`, a URL read as every command reads one (core/gateway-url.ts). */
export function gatewayTargetAt(url: URL): GatewayTarget {
  const base = new URL(`${url.origin}${url.pathname.replace(/\/*$/, "/")}`);
  return {
    eventsUrl: new URL("admin/api/events", base),
    workersUrl: new URL("admin/api/workers", base),
    label: urlLabel(base.href),
  };
}

/**
 * `target` reading one tenant's part (`--tenant`): the gateway selects it (`?tenant=` on the event
 * stream and the workers list), so a tenant's admin naming another is refused there, in its words.
 */
export function forTenant(target: GatewayTarget, tenant: string | undefined): GatewayTarget {
  if (tenant === undefined) return target;
  const eventsUrl = new URL(target.eventsUrl);
  const workersUrl = new URL(target.workersUrl);
  eventsUrl.searchParams.set("tenant", tenant);
  workersUrl.searchParams.set("tenant", tenant);
  return { ...target, eventsUrl, workersUrl, tenant };
}
