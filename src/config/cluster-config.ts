import { z } from "zod";
import { configUrl, redisUrl } from "./config-url.ts";
import { duration } from "./config-values.ts";

/** The longest `node_name`, in UTF-16 code units (as zod counts). */
export const MAX_NODE_NAME = 100;

/** `cluster`: what the nodes that share one Redis need to find, trust and reach each other. */
export const clusterConfigSchema = z.strictObject({
  redis_url: redisUrl(),
  /** How other nodes reach this one (forwarding); must be reachable from every node. */
  advertise_url: configUrl({ protocol: /^https?$/ }),
  /** Shared by all nodes; authenticates node-to-node calls. At least 16 characters. */
  secret: z.string().min(16, "at least 16 characters"),
  /** This node's name in the directory, logs and audit rows; defaults to host:port of advertise_url. */
  node_name: z.string().min(1).max(MAX_NODE_NAME).optional(),
  /** How often a node renews its directory entry; it counts as gone after three missed. */
  heartbeat: duration("1s", "Redis refuses an entry that lasts 0 ms, so the node would never join"),
  /** A Redis call slower than this fails; that request is admitted on local counters. */
  redis_timeout: duration("2s", 'every Redis call would fail at once; 0 is not "no bound" here'),
});
