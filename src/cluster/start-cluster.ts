import { Elysia } from "elysia";
import { MAX_SEAL_VALIDITY_MS, sealValidityMs } from "../config/cluster-config.ts";
import type { Config } from "../config/config-schema.ts";
import type { Cluster, ClusterDeps, RedisState } from "./cluster.ts";
import { ClusterClaim, ClusterDatabaseTaken } from "./cluster-claim.ts";
import { forThisNode } from "./cluster-identity.ts";
import { ConfigAgreement } from "./config-agreement.ts";
import { DepartedNodes } from "./departed-nodes.ts";
import { EVENTS_CHANNEL, EventRelay } from "./event-relay.ts";
import { forwardEndpoint } from "./forward-endpoint.ts";
import { createForwardingProvider } from "./forwarding-provider.ts";
import { IncomingLinks } from "./incoming-links.ts";
import { entrySeal, relaySeal } from "./json-seal.ts";
import { KEY_CHANNEL, keyNotice } from "./key-notice.ts";
import { linkEndpoint } from "./link-endpoint.ts";
import { leaseTimings } from "./name-lease.ts";
import { NewlyListed } from "./newly-listed.ts";
import { NodeDirectory } from "./node-directory.ts";
import { nodeName } from "./node-name.ts";
import { PeerLinks } from "./peer-link.ts";
import { RedisClock } from "./redis-clock.ts";
import { createRedisCounters } from "./redis-counters.ts";
import { RedisLink, RedisTimeout } from "./redis-link.ts";

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
   * The transition's one log line is this file's (docs/OBSERVABILITY.md); listeners say nothing more.
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
  // The Redis database is this cluster's, or the node uses it for nothing: two clusters on one
  // would share the directory, workers and counters. Checked at every connect and renewed by every
  // heartbeat (the link's vouch).
  const claim = new ClusterClaim({ cluster: clusterId, node: nodeId, url: advertised });
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
          `${refused}: this node uses it for nothing until it is this cluster's again (limits on local counters, each divided by the ${directory?.liveCount() ?? 1} live node(s) last seen, no live events relayed; still ready, /readyz saying redis "foreign")`,
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
        // Changes made while we were away were not announced to us.
        for (const listener of keyListeners) listener();
        for (const listener of configListeners) listener();
        void directory?.refresh();
      } else {
        wasDown = true;
        logger.warn(
          `redis unavailable (${reason}): limits fall back to local counters, each limit divided by the ${directory?.liveCount() ?? 1} live node(s) last seen`,
          { node: nodeId },
        );
      }
      for (const listener of healthListeners) listener(healthy);
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
  const redisClock = clock;
  await redisClock.start();
  // Another cluster's at the start: the node does not start. Redis away: the connect that reaches
  // it claims it, or leaves this node out of it.
  const refused = link.refusal();
  if (refused !== null) {
    redisClock.close();
    link.close();
    throw new ClusterDatabaseTaken(refused);
  }
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
  const newly = new NewlyListed();
  const departed = new DepartedNodes(nodeId, deps.bus);
  await link.subscribe(EVENTS_CHANNEL, (message) => relay.received(message));
  /** The reply error last warned of, so each is said once per change. */
  let lastReplyError: string | null = null;
  directory = new NodeDirectory({
    link,
    self: { id: nodeId, url: advertised },
    ...(deps.instance === undefined ? {} : { instance: deps.instance }),
    clusterId,
    seal: entrySeal(settings.secret, { now, validForMs, maxAgeMs: MAX_SEAL_VALIDITY_MS }),
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
      links.keepOnly(entries.map((entry) => entry.id));
      departed.read(entries);
      for (const listed of newly.read(entries.filter((entry) => entry.id !== nodeId)))
        deps.newlyServed?.(listed);
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
  const redisState = (): RedisState => (link.refusal() !== null ? "foreign" : link.healthy() ? "up" : "down");
  // What the limits run on now, said alike by /readyz and /admin/api/status.
  const limitsNow = () =>
    link.healthy() ? "shared" : `local: each rpm and tpm divided by ${nodes.liveCount()}`;
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
