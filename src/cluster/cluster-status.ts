import type { Cluster, RedisState } from "./cluster.ts";
import type { ConfigAgreement } from "./config-agreement.ts";
import type { NodeDirectory } from "./node-directory.ts";
import type { PeerLinks } from "./peer-link.ts";
import type { RedisLink } from "./redis-link.ts";

export interface ClusterStatusSources {
  nodeId: string;
  link: RedisLink;
  nodes: NodeDirectory;
  agreement: ConfigAgreement;
  links: PeerLinks;
}

/** What the node says of the cluster: /admin/api/status, /readyz and its metrics. */
export function clusterStatus(
  sources: ClusterStatusSources,
): Pick<Cluster, "status" | "notReady" | "health" | "readyDetail"> {
  const { nodeId, link, nodes, agreement, links } = sources;
  const redisState = (): RedisState => (link.refusal() !== null ? "foreign" : link.healthy() ? "up" : "down");
  // What the limits run on now, said alike by /readyz and /admin/api/status.
  const limitsNow = () =>
    link.healthy() ? "shared" : `local: each rpm and tpm divided by ${nodes.liveCount()}`;
  return {
    status: () => ({
      node: nodeId,
      redis: redisState(),
      limits: limitsNow(),
      config: {
        ...agreement.runs(),
        disagreeing: agreement.disagreements(),
        other_releases: agreement.others(),
      },
      nodes: nodes.nodes().map((n) => ({
        id: n.id,
        url: n.url,
        release: n.release ?? null,
        workers: n.workers.length,
        draining: n.workers.filter((w) => w.draining === true).length,
        state: n.stopping === true ? "stopping" : "live",
        config: n.config ?? null,
      })),
      links: links.status(),
    }),
    notReady: () => {
      if (nodes.namesake() !== null)
        return `node name ${nodeId} is held by another live process: this node publishes no directory entry until it is free; give each node a cluster.node_name of its own`;
      const failing = nodes.beatsFailing();
      return failing === null
        ? undefined
        : `Redis replies ${failing} to every heartbeat: this node's directory entry is not written, so no other node routes to its workers`;
    },
    health: () => ({ redis: redisState(), liveNodes: nodes.liveCount() }),
    readyDetail: () => ({
      redis: redisState(),
      limits: limitsNow(),
      nodes: nodes.liveCount(),
      config: agreement.openly(),
    }),
  };
}
