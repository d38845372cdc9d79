import { Elysia } from "elysia";
import { sealValidityMs } from "../config/cluster-config.ts";
import type { Config } from "../config/config-schema.ts";
import type { Cluster, ClusterDeps } from "./cluster.ts";
import { clusterDirectory } from "./cluster-directory.ts";
import { forThisNode } from "./cluster-identity.ts";
import { connectClusterRedis } from "./cluster-redis.ts";
import { clusterStatus } from "./cluster-status.ts";
import { ConfigAgreement } from "./config-agreement.ts";
import { DepartedNodes } from "./departed-nodes.ts";
import { EVENTS_CHANNEL, EventRelay } from "./event-relay.ts";
import { forwardEndpoint } from "./forward-endpoint.ts";
import { createForwardingProvider } from "./forwarding-provider.ts";
import { IncomingLinks } from "./incoming-links.ts";
import { relaySeal } from "./json-seal.ts";
import { KEY_CHANNEL, keyNotice } from "./key-notice.ts";
import { linkEndpoint } from "./link-endpoint.ts";
import { leaseTimings } from "./name-lease.ts";
import type { NodeDirectory } from "./node-directory.ts";
import { nodeName } from "./node-name.ts";
import { PeerLinks } from "./peer-link.ts";
import { createRedisCounters } from "./redis-counters.ts";

const CONFIG_CHANNEL = "mgw:config";

/** Joins the cluster named by `cluster:` (null without one). Redis being down does not stop the start. */
export async function startCluster(config: Config, deps: ClusterDeps): Promise<Cluster | null> {
  const settings = config.cluster;
  if (!settings) return null;
  const { logger, registry } = deps;
  const nodeId = nodeName(settings);
  const keyListeners: (() => void)[] = [];
  const configListeners: (() => void)[] = [];
  /**
   * Told as the link goes down and comes back: the shared counters' availability (`SharedCounters`).
   * The transition's one log line is cluster-redis.ts's (docs/OBSERVABILITY.md); listeners say nothing more.
   */
  const healthListeners: ((healthy: boolean) => void)[] = [];
  const agreement = new ConfigAgreement(nodeId, config, logger);
  let directory: NodeDirectory | null = null;
  const { clusterId } = deps;
  if (clusterId === undefined)
    throw new Error(
      "cluster: needs the storage its nodes share to name the cluster (storage.driver postgres does; an embedder's own Storage gives clusterId)",
    );
  const advertised = settings.advertise_url.replace(/\/$/, "");
  const departed = new DepartedNodes(nodeId, deps.bus, settings);
  const { link, clock: redisClock } = await connectClusterRedis({
    settings,
    nodeId,
    clusterId,
    advertised,
    logger,
    liveCount: () => directory?.liveCount() ?? 1,
    onBack() {
      // Changes made while we were away were not announced to us.
      for (const listener of keyListeners) listener();
      for (const listener of configListeners) listener();
      // A Redis restarted empty lost every entry: the nodes not back yet are not read as gone.
      departed.back();
      // Written again with a notice: a node back before this one read a directory without it, to
      // be read again only at its next heartbeat.
      void directory?.entryChanged();
    },
    onHealthChange: (healthy) => {
      for (const listener of healthListeners) listener(healthy);
    },
  });
  // Channels are server-wide, whatever the database: a notice stamped by another cluster is not ours.
  await link.subscribe(KEY_CHANNEL, (message) => {
    if (forThisNode(message, clusterId)) for (const listener of keyListeners) listener();
  });
  await link.subscribe(CONFIG_CHANNEL, (message) => {
    if (forThisNode(message, clusterId, nodeId)) for (const listener of configListeners) listener();
  });
  const log = (
    level: "debug" | "info" | "warn" | "error",
    message: string,
    fields?: Record<string, unknown>,
  ) => logger[level](message, fields);
  const links = new PeerLinks({
    secret: settings.secret,
    maxMessageBytes: config.workers.max_message,
    log,
  });
  // Seals dated on Redis's time as this node reads it, each taken for as long as its writer's entry
  // may stand (json-seal.ts). A relayed message is read within moments: one older than this node's
  // own bound is refused, which keeps the ids it remembers (event-relay.ts) to that bound.
  const now = () => redisClock.redisNow();
  const validForMs = sealValidityMs(settings);
  const relay = new EventRelay({
    link,
    nodeId,
    clusterId,
    bus: deps.bus,
    seal: relaySeal(settings.secret, { now, validForMs, maxAgeMs: validForMs }),
    ...(deps.queuedWritten ? { queuedWritten: deps.queuedWritten } : {}),
    peers: () => directory?.peers() ?? [],
    askTimeoutMs: settings.redis_timeout,
    answerHoldMs: leaseTimings(settings).leaseMs,
  });
  await link.subscribe(EVENTS_CHANNEL, (message) => relay.received(message));
  directory = clusterDirectory({
    settings,
    link,
    nodeId,
    clusterId,
    advertised,
    instance: deps.instance,
    now,
    validForMs,
    logger,
    registry,
    agreement,
    relay,
    links,
    departed,
    newlyServed: deps.newlyServed,
  });
  try {
    await directory.start();
  } catch (error) {
    // Another live node under this name (NodeNameTaken): this one does not start.
    redisClock.close();
    link.close();
    throw error;
  }
  const nodes = directory;
  // A worker connected, left or started draining: every node routes by it from now on, not a heartbeat later.
  registry.watch(() => void nodes.entryChanged());
  // A live stream opened here with none before (or the last one closed): the others relay to it from now on.
  deps.bus.onRelayedReaders(() => void nodes.entryChanged());
  let draining: Promise<void> | null = null;
  const incoming = new IncomingLinks();
  const counters = createRedisCounters({
    link,
    nodeId,
    nodes: () => nodes.liveCount(),
    clockOffset: () => redisClock.offset(),
    onError: (error) =>
      logger.debug("shared counter update failed", {
        error: error instanceof Error ? error.message : "error",
      }),
    // Available as the link is healthy: its changes are theirs, said by the line above.
    onAvailabilityChange: (listener) => void healthListeners.push(listener),
  });
  return {
    nodeId,
    counters,
    workers(local) {
      return {
        provider: createForwardingProvider({
          local: local.provider,
          registry,
          directory: nodes,
          secret: settings.secret,
          ...(deps.fetch ? { fetch: deps.fetch } : {}),
          links,
        }),
        servesModel: (model, tenant) =>
          local.servesModel(model, tenant) || nodes.peerModels(tenant).includes(model),
        models: (tenant) => [...new Set([...local.models(tenant), ...nodes.peerModels(tenant)])],
      };
    },
    endpoint: (local) =>
      new Elysia()
        .use(
          forwardEndpoint({
            secret: settings.secret,
            nodeId,
            workers: local.provider,
            registry,
            log,
            ...(deps.lifecycle ? { lifecycle: deps.lifecycle } : {}),
          }),
        )
        .use(
          linkEndpoint({
            secret: settings.secret,
            nodeId,
            registry,
            log,
            maxMessageBytes: config.workers.max_message,
            incoming,
            ...(deps.lifecycle ? { lifecycle: deps.lifecycle } : {}),
            ...(deps.shutdown ? { shutdown: deps.shutdown } : {}),
          }),
        ),
    othersWritten: () => relay.othersWritten(),
    announceKeyChange(id) {
      link.publish(KEY_CHANNEL, keyNotice(clusterId, id)).catch(() => {
        // Redis away: the other nodes' caches still refresh on their own timer.
      });
    },
    onKeyChange(listener) {
      keyListeners.push(listener);
    },
    configApplied(next, version) {
      const runs = agreement.applied(next, version);
      void nodes.refresh();
      link
        .publish(CONFIG_CHANNEL, JSON.stringify({ cluster: clusterId, node: nodeId, ...runs }))
        .catch(() => {
          // Redis away: the others re-read their config when it is back (onHealthChange).
        });
    },
    onConfigNotice(listener) {
      configListeners.push(listener);
    },
    ...clusterStatus({ nodeId, link, nodes, agreement, links }),
    beginDrain() {
      // Before the lifecycle drains (this runs first on a stop): each peer link other nodes
      // opened here is held open, as a request in flight, until its streams are over and it is
      // closed cleanly, so their last frames are not cut off by the listener closing.
      void incoming.drain(deps.lifecycle);
      draining ??= nodes.publishDraining();
      return draining;
    },
    async close() {
      relay.close();
      redisClock.close();
      links.close();
      await nodes.close();
      link.close();
    },
  };
}
