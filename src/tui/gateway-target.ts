import { queryOrFragmentRefusal } from "../core/gateway-url-query.ts";
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
 * Accepts `http(s)://host[:port][/prefix]`; a bare `host:port` is taken as http. A query or
 * fragment is refused as every command's `--gateway` refuses it (core/gateway-url-query.ts).
 */
export function resolveGateway(gateway: string): TargetResult {
  const text = gateway.trim();
  if (text === "") return { ok: false, error: "no gateway URL: pass --gateway or set MINDGW_GATEWAY" };
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    return { ok: false, error: `invalid gateway URL "${urlLabel(text)}"` };
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return { ok: false, error: `invalid gateway URL "${urlLabel(text)}": use http:// or https://` };
  }
  // WHATWG URL parsing lets odd hosts through (`ht!tp`); a typo must be a usage error, not a
  // DNS failure retried five times.
  if (!/^([a-z0-9_-]+\.)*[a-z0-9_-]+$|^\[[0-9a-f:.]+\]$/i.test(url.hostname)) {
    return { ok: false, error: `invalid gateway URL "${urlLabel(text)}": bad host name` };
  }
  const refusal = queryOrFragmentRefusal(url);
  if (refusal) return { ok: false, error: `invalid gateway URL: ${refusal}` };
  const base = new URL(`${url.origin}${url.pathname.replace(/\/*$/, "/")}`);
  return {
    ok: true,
    target: {
      eventsUrl: new URL("admin/api/events", base),
      workersUrl: new URL("admin/api/workers", base),
      label: urlLabel(base.href),
    },
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
