import { z } from "zod";
import { configUrl, redisUrl } from "./config-url.ts";
import { duration } from "./config-values.ts";
import { formatDuration } from "./units.ts";

/** The longest `node_name`, in UTF-16 code units (as zod counts). */
export const MAX_NODE_NAME = 100;

/**
 * A genuine directory entry is never older than its time to live, three of its writer's heartbeats
 * past its write (src/cluster/directory-redis.ts `entryWrite`); its write may reach Redis up to a
 * `cluster.redis_timeout` after it was sealed; and two nodes read Redis's time apart by their
 * readings' half round trips, which this margin covers.
 */
const CLOCK_MARGIN_MS = 1000;

/** How long a value a node seals is taken (src/cluster/json-seal.ts), for its `cluster.heartbeat` and `cluster.redis_timeout` (ms). */
export const sealValidityMs = (settings: { heartbeat: number; redis_timeout: number }): number =>
  3 * settings.heartbeat + settings.redis_timeout + CLOCK_MARGIN_MS;

/**
 * The longest any node takes a directory entry, whatever its writer sealed: a bound on how long a
 * captured one can be replayed. A node's entry stands three of its heartbeats, so a heartbeat is
 * held within it at load (`MAX_HEARTBEAT_MS`): past it, the others read a node as gone while its
 * entry still stood (an hour after each write, once a heartbeat passed an hour).
 */
export const MAX_SEAL_VALIDITY_MS = 3_600_000;

/**
 * The longest `cluster.heartbeat`, in whole seconds: three of it, `redis_timeout`'s default (2 s)
 * and the clock margin within `MAX_SEAL_VALIDITY_MS` (19m59s). Not the node's own `redis_timeout`:
 * one of 30 days is how "no bound" is written where 0 is refused, and it bounds only how late a
 * write may reach Redis, a wait past a second or two no beat meets in practice.
 */
export const MAX_HEARTBEAT_MS = Math.floor((MAX_SEAL_VALIDITY_MS - 2000 - CLOCK_MARGIN_MS) / 3 / 1000) * 1000;

/** `cluster`: what the nodes that share one Redis need to find, trust and reach each other. */
export const clusterConfigSchema = z.strictObject({
  redis_url: redisUrl(),
  /** How other nodes reach this one (forwarding); must be reachable from every node. */
  advertise_url: configUrl({ protocol: /^https?$/ }),
  /** Shared by all nodes; authenticates node-to-node calls. At least 16 characters. */
  secret: z.string().min(16, "at least 16 characters"),
  /** This node's name in the directory, logs and audit rows; defaults to host:port of advertise_url. */
  node_name: z.string().min(1).max(MAX_NODE_NAME).optional(),
  /** How often a node renews its directory entry; it counts as gone after three missed. At most `MAX_HEARTBEAT_MS`. */
  heartbeat: duration("1s", "Redis refuses an entry that lasts 0 ms, so the node would never join").pipe(
    z.number().max(MAX_HEARTBEAT_MS, {
      error: (issue) =>
        `at most ${formatDuration(MAX_HEARTBEAT_MS)} (19 min 59 s): the other nodes take a node's directory entry for three of its heartbeats, its redis_timeout and 1 s, never more than an hour; got ${formatDuration(Number(issue.input))}`,
    }),
  ),
  /** A Redis call slower than this fails; that request is admitted on local counters. */
  redis_timeout: duration("2s", 'every Redis call would fail at once; 0 is not "no bound" here'),
});
