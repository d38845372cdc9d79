import { MAX_SEAL_VALIDITY_MS } from "../config/cluster-config.ts";
import type { Config } from "../config/config-schema.ts";
import type { Logger } from "../log/logger.ts";
import type { WorkerRegistry } from "../workers/gateway/worker-registry.ts";
import type { ClusterDeps } from "./cluster.ts";
import type { ConfigAgreement } from "./config-agreement.ts";
import type { DepartedNodes } from "./departed-nodes.ts";
import type { EventRelay } from "./event-relay.ts";
import { entrySeal } from "./json-seal.ts";
import { leaseTimings } from "./name-lease.ts";
import { NewlyListed } from "./newly-listed.ts";
import { NodeDirectory } from "./node-directory.ts";
import type { PeerLinks } from "./peer-link.ts";
import { type RedisLink, RedisTimeout } from "./redis-link.ts";

export interface ClusterDirectoryOptions {
  settings: NonNullable<Config["cluster"]>;
  link: RedisLink;
  nodeId: string;
  clusterId: string;
  advertised: string;
  instance: string | undefined;
  /** Redis's time as this node reads it: what entries are sealed on. */
  now: () => number;
  /** How long this node's sealed entry is taken (`sealValidityMs`). */
  validForMs: number;
  logger: Logger;
  registry: WorkerRegistry;
  agreement: ConfigAgreement;
  relay: EventRelay;
  links: PeerLinks;
  /** Tells this node's events of a node's leaving (`node.left`). */
  departed: DepartedNodes;
  newlyServed: ClusterDeps["newlyServed"];
}

/**
 * This node's directory, not started: its entry (this node's workers, config and watching), and
 * what each read of the others' tells the agreement, the relay, the peer links, the departed and
 * the newly listed nodes.
 */
export function clusterDirectory(options: ClusterDirectoryOptions): NodeDirectory {
  const { settings, nodeId, logger, registry, agreement, relay, link } = options;
  const { departed } = options;
  const newly = new NewlyListed();
  /** The reply error last warned of, so each is said once per change. */
  let lastReplyError: string | null = null;
  return new NodeDirectory({
    link,
    self: { id: nodeId, url: options.advertised },
    ...(options.instance === undefined ? {} : { instance: options.instance }),
    clusterId: options.clusterId,
    seal: entrySeal(settings.secret, {
      now: options.now,
      validForMs: options.validForMs,
      maxAgeMs: MAX_SEAL_VALIDITY_MS,
    }),
    onNamesake: (url) =>
      logger.warn(
        `another node runs under this node's name (${url}): this node publishes no directory entry, so no other node routes to its workers, and /readyz is 503 until the name is free; give each node a cluster.node_name of its own`,
        { node: nodeId },
      ),
    ...leaseTimings(settings),
    workers: () =>
      registry.list().map(({ name, tenant, models, inFlight, capacity, responsesApi, draining }) => ({
        name,
        tenant,
        models,
        inFlight,
        capacity,
        ...(responsesApi ? { responsesApi } : {}),
        ...(draining ? { draining } : {}),
      })),
    config: () => agreement.runs(),
    watching: () => relay.watching(),
    onUpdate: (entries) => {
      agreement.observe(entries);
      relay.observe(entries);
      // A node gone from the directory (its entry removed or expired: stopped, killed) takes its link with it.
      options.links.keepOnly(entries.map((entry) => entry.id));
      departed.read(entries);
      for (const listed of newly.read(entries.filter((entry) => entry.id !== nodeId)))
        options.newlyServed?.(listed);
    },
    onError: (error) => {
      const message = error instanceof Error ? error.message : String(error);
      // An error Redis replied (WRONGTYPE on a key of ours, a script failing) is no outage: it
      // repeats every beat until someone acts, and the node's entry expires meanwhile.
      const replied = !(error instanceof RedisTimeout) && link.healthy();
      if (!replied || message === lastReplyError) {
        logger.debug("node directory update failed", { error: message });
        return;
      }
      lastReplyError = message;
      logger.warn(
        `node directory update failed: Redis replied ${message}; this node's entry is not written while it does, and /readyz turns 503 after three heartbeats of it`,
        { node: nodeId },
      );
    },
  });
}
