import { urlLabel } from "../core/url-label.ts";
import type { Config } from "./config-schema.ts";
import { httpsOrLoopback } from "./https-or-loopback.ts";

/**
 * Valid, but `cluster.advertise_url` is plain http off this host: every call another node makes to
 * this one (the peer link's upgrade, a forward, its cancel) carries `cluster.secret` in a header
 * (`x-mindgw-cluster-secret`), with the prompts and answers it forwards, in the clear to anyone on
 * the way, and the secret opens every node's forward endpoint and seals the single sign-on cookie.
 * Not refused: a mesh's sidecar may encrypt what the node sends as http, and a private network may
 * be trusted. Null for https, loopback, or no cluster; without a `warning:` prefix (the log line
 * has its level).
 */
export function plainAdvertiseWarning(config: Config): string | null {
  const url = config.cluster?.advertise_url;
  if (url === undefined || httpsOrLoopback(url)) return null;
  return `cluster.advertise_url is plain http (${urlLabel(url)}): every call another node makes to this one (its peer link, a forward) carries cluster.secret in a plain header, with the prompts and answers it forwards, readable by anyone on the network between them; make it an https:// address (a TLS sidecar or mesh), unless a mesh encrypts it or that network is yours alone`;
}
