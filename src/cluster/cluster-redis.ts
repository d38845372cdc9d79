import type { Config } from "../config/config-schema.ts";
import type { Logger } from "../log/logger.ts";
import { ClusterClaim, ClusterDatabaseTaken } from "./cluster-claim.ts";
import { RedisClock } from "./redis-clock.ts";
import { RedisLink } from "./redis-link.ts";

export interface ClusterRedisOptions {
  settings: NonNullable<Config["cluster"]>;
  nodeId: string;
  clusterId: string;
  /** `cluster.advertise_url` without its trailing slash: the claim names it. */
  advertised: string;
  logger: Logger;
  /** The live nodes last seen, for the log lines saying how limits are divided meanwhile. */
  liveCount: () => number;
  /** Redis is back (or this cluster's again): what changed meanwhile was not announced to this node. */
  onBack: () => void;
  /** Every change of the link's health, after its one log line. */
  onHealthChange: (healthy: boolean) => void;
}

/**
 * This node's Redis link, claimed for its cluster, and Redis's clock as the node reads it. Redis
 * being down does not stop the start; its database being another cluster's does
 * (ClusterDatabaseTaken). Each change of the link's health is logged here, once
 * (docs/OBSERVABILITY.md): listeners say nothing more.
 */
export async function connectClusterRedis(
  options: ClusterRedisOptions,
): Promise<{ link: RedisLink; clock: RedisClock }> {
  const { settings, nodeId, logger } = options;
  // The Redis database is this cluster's, or the node uses it for nothing: two clusters on one
  // would share the directory, workers and counters. Checked at every connect and renewed by every
  // heartbeat (the link's vouch).
  const claim = new ClusterClaim({ cluster: options.clusterId, node: nodeId, url: options.advertised });
  // "again" only after an outage: a first start reaches Redis for the first time.
  let wasDown = false;
  let wasRefused = false;
  // Declared before the link, whose first connect may report health before `start` returns.
  let clock: RedisClock | null = null;
  const link = new RedisLink({
    vouch: (client) => claim.check(client),
    url: settings.redis_url,
    timeoutMs: settings.redis_timeout,
    // Pipelined (Bun's auto-pipelining: what a turn sends leaves in one write at its end): a record
    // sent while a batch of admissions is with Redis goes right behind it, not once it is answered
    // (cluster/redis-counters.ts), and a call held up never holds up the ones after it.
    onHealthChange(healthy, reason) {
      const refused = link.refusal();
      if (refused !== null) {
        wasRefused = true;
        logger.error(
          `${refused}: this node uses it for nothing until it is this cluster's again (limits on local counters, each divided by the ${options.liveCount()} live node(s) last seen, no live events relayed; still ready, /readyz saying redis "foreign")`,
          { node: nodeId },
        );
      } else if (healthy) {
        logger.info(
          wasRefused
            ? "the Redis database of cluster.redis_url is this cluster's again: limits are shared across nodes, live events relayed"
            : `redis reachable: limits are shared across nodes${wasDown ? " again" : ""}`,
          { node: nodeId },
        );
        wasRefused = false;
        // A Redis back may be another host's (a failover), on a clock of its own.
        void clock?.measure();
        options.onBack();
      } else {
        wasDown = true;
        logger.warn(
          `redis unavailable (${reason}): limits fall back to local counters, each limit divided by the ${options.liveCount()} live node(s) last seen`,
          { node: nodeId },
        );
      }
      options.onHealthChange(healthy);
    },
  });
  await link.start();
  clock = new RedisClock({
    link,
    everyMs: settings.heartbeat,
    onOff: (aheadMs, off) =>
      off
        ? logger.warn(
            `this node's clock is ${(Math.abs(aheadMs) / 1000).toFixed(1)} s ${aheadMs > 0 ? "ahead of" : "behind"} Redis's: the rpm and tpm windows shared across nodes count on Redis's clock, but this node's audit times, key and token expiry and grace, and budget periods read its own (set its clock with NTP)`,
            { node: nodeId },
          )
        : logger.info("this node's clock is within a second of Redis's again", { node: nodeId }),
  });
  const started = clock;
  await started.start();
  // Another cluster's at the start: the node does not start. Redis away: the connect that reaches
  // it claims it, or leaves this node out of it.
  const refused = link.refusal();
  if (refused !== null) {
    started.close();
    link.close();
    throw new ClusterDatabaseTaken(refused);
  }
  return { link, clock: started };
}
