import type { startCluster } from "../cluster/start-cluster.ts";
import type { Config } from "../config/config-schema.ts";

/**
 * The cluster's code, loaded only on a node that is one (`cluster:` set): a single node never
 * evaluates the directory, the peer links and the forwarding, nor holds their schemas.
 */
export function clusterStarter(config: Config): typeof startCluster {
  if (!config.cluster) return async () => null;
  return (require("../cluster/start-cluster.ts") as typeof import("../cluster/start-cluster.ts"))
    .startCluster;
}
