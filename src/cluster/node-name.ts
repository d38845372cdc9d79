import type { AuditRecord } from "../audit/audit-record.ts";
import type { Config } from "../config/config-schema.ts";

type ClusterSettings = NonNullable<Config["cluster"]>;

/** This node's name in the directory, logs and audit rows: `node_name`, else advertise_url's host:port. */
export function nodeName(settings: ClusterSettings): string {
  return settings.node_name ?? new URL(settings.advertise_url).host;
}

/**
 * A record with the node columns filled: `node` is this node (it took the request and writes the
 * row); `servedNode` is the node named by a forwarded route (`worker:<name>@<node>`, see
 * forwarding-provider.ts), else this node when any route was tried.
 */
export function withNodes(record: AuditRecord, node: string): AuditRecord {
  const route = record.route;
  const at = route?.startsWith("worker:") ? route.indexOf("@") : -1;
  const servedNode = at >= 0 ? route!.slice(at + 1) : route === null ? null : node;
  return { ...record, node, servedNode };
}

/** Why a node does not start: another live process holds its name (name-lease.ts), renewed past its lease's time. */
export class NodeNameTaken extends Error {
  /** `lastError`: the last call to Redis failed (the holder's renewal was then last seen, not disproved). */
  constructor(id: string, url: string, lastError: string | null = null) {
    super(
      `cluster node name ${id} is in use by a live node at ${url}: give each node a cluster.node_name of its own (its default is advertise_url's host:port)${lastError === null ? "" : ` (the last call to Redis failed: ${lastError})`}`,
    );
  }
}
