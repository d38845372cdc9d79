import type { UnsupportedPolicy } from "../translate/dropped.ts";

/** How the router tries routes, from one config version: the same object for every request. */
export interface RoutingPolicy {
  retries: number;
  backoffMs: number;
  /** `translation.unsupported`: drop (and name) or refuse what a translation cannot carry. */
  unsupported?: UnsupportedPolicy;
  /** `routing.max_sse_line`: the longest event-stream line an upstream may send. */
  maxSseLine?: number;
  /** `routing.max_upstream_body`: the most a whole (non-stream) upstream answer may be. */
  maxUpstreamBody?: number;
  /**
   * `routing.stream_keepalive`: a committed stream whose client has had nothing this long while its
   * upstream is quiet is sent a keep-alive comment (routing/attempt.ts). Absent or 0: none.
   */
  streamKeepAliveMs?: number;
}
