import type { AnyElysia } from "elysia";
import type { EventBus } from "../audit/event-bus.ts";
import type { SharedCounters } from "../auth/shared-counters.ts";
import type { Config } from "../config/config-schema.ts";
import type { Logger } from "../log/logger.ts";
import type { WorkerDirectory } from "../routing/route-table.ts";
import type { WorkerRegistry } from "../workers/gateway/worker-registry.ts";
import type { ConfigDisagreement, OtherRelease, PublicAgreement } from "./config-agreement.ts";
import type { DrainCount } from "./drain-hold.ts";
import type { LinkEndpointDeps } from "./link-endpoint.ts";
import type { NewlyServed } from "./newly-listed.ts";
import type { NodeConfig } from "./node-entry.ts";
import type { PeerLinks } from "./peer-link.ts";

/**
 * Redis as this node uses it: `up`, shared; `down`, away; `foreign`, answering, but its database is
 * another cluster's (cluster-claim.ts), so used for nothing. Both of the latter run on local limits.
 */
export type RedisState = "up" | "down" | "foreign";

/** What a cluster node adds to the gateway; create-gateway.ts wires each piece. */
export interface Cluster {
  readonly nodeId: string;
  /** rpm/tpm/budget counters over every node (Redis), for the rate limiter. */
  readonly counters: SharedCounters;
  /** The route table's view of workers: this node's, then other nodes' through forwarding. */
  workers(local: WorkerDirectory): WorkerDirectory;
  /**
   * `GET /cluster/v1/link` (peer links: other nodes' forwarded calls, switched to this node's
   * workers) and `POST /cluster/v1/forward` (the same over HTTP, where no link can be had).
   */
  endpoint(local: WorkerDirectory): AnyElysia;
  /**
   * A live stream opens here: every other live node relays to it from now on and writes the audit
   * rows it queued before; settles once each said so (a node that did not say it heard the ask
   * within a moment is not waited for) or after `cluster.redis_timeout` (event-relay.ts), with the
   * nodes that did not answer.
   */
  othersWritten(): Promise<readonly string[]>;
  /** Tells every node a key changed (revoke, rotate, create): their caches refresh at once. */
  announceKeyChange(id: string): void;
  /** Runs `listener` when any node (this one included) announces a key change. */
  onKeyChange(listener: () => void): void;
  /**
   * This node applied a new config version (file change, SIGHUP): every other node is told, and
   * re-reads its own config source at once.
   */
  configApplied(config: Config, version: number): void;
  /** Runs `listener` when another node announces a config change (or Redis comes back). */
  onConfigNotice(listener: () => void): void;
  /**
   * For /admin/api/status: Redis health, the nodes in the directory (with the release each runs,
   * their workers and how many of them drain, as the directory lists them, and whether the node is
   * live or stopping) and the config each runs.
   */
  status(): {
    node: string;
    redis: RedisState;
    /** As `/readyz` says it: `shared`, or while Redis is away what each node enforces. */
    limits: string;
    config: NodeConfig & {
      disagreeing: readonly ConfigDisagreement[];
      /** Live nodes of another release, whose configs are not compared (config-agreement.ts). */
      other_releases: readonly OtherRelease[];
    };
    nodes: {
      id: string;
      url: string;
      /** The build it runs (`0.1.0+1a2b3c4`); null: a node of a release that did not publish it. */
      release: string | null;
      workers: number;
      draining: number;
      /** `stopping`: its drain began (its workers listed draining until they register elsewhere); no live node. */
      state: "live" | "stopping";
      config: NodeConfig | null;
    }[];
    /** This node's peer links to the others, and how many calls went over each and over HTTP. */
    links: ReturnType<PeerLinks["status"]>;
  };
  /**
   * For /readyz: a node whose Redis is away, or another cluster's, still serves (ready), on local
   * limits; this says so.
   * Unauthenticated, so the config shows as agreeing or not, without its fingerprint.
   */
  readyDetail(): {
    redis: RedisState;
    limits: string;
    nodes: number;
    config: PublicAgreement;
  };
  /**
   * Why this node is not ready, while it is not: another live process holds its name (name-lease.ts),
   * or Redis replies an error to every heartbeat, so it publishes no directory entry and no other
   * node routes to its workers. Its Redis database
   * being another cluster's is no reason: every node would be out of the load balancer at once.
   */
  notReady(): string | undefined;
  /** For metrics: Redis's state, live nodes last seen. */
  health(): { redis: RedisState; liveNodes: number };
  /**
   * The drain begins: this node's entry says it stops and lists its workers as draining
   * (node-directory.ts `publishDraining`), so other nodes stop forwarding here, answer their models
   * with a draining refusal, not as served nowhere, and count this node live no more; `close` stops
   * publishing. Called before the lifecycle drains: the peer links other nodes opened here then
   * count in flight until closed cleanly, their streams' last frames written (incoming-links.ts).
   */
  beginDrain(): Promise<void>;
  close(): Promise<void>;
}

export interface ClusterDeps {
  logger: Logger;
  /**
   * The cluster's id, from the database its nodes share (`Storage.clusterId`): claimed on the Redis
   * database and stamped on every message. A storage without one (an embedder's own) cannot be a
   * cluster's: the start is refused.
   */
  clusterId: string | undefined;
  registry: WorkerRegistry;
  /** This node's events: its live stream's readers also get every other node's requests. */
  bus: EventBus;
  /**
   * This process's token in the node's directory entry (`NodeEntry.instance`), as its
   * `request.started` events name it (audit-service.ts); a random one unless given.
   */
  instance?: string;
  /** This node's audit rows queued so far, written (audit-service.ts): what another node's opening stream waits for. */
  queuedWritten?: () => Promise<void>;
  /** This node's requests in flight: calls forwarded here count, so a drain waits for them. */
  lifecycle?: DrainCount;
  /**
   * This node's open requests, ended when a stop's drain deadline passes: streams relayed over a
   * peer link to this node's workers are ended with them.
   */
  shutdown?: LinkEndpointDeps["shutdown"];
  /** The gateway's upstream `fetch` for forwards to other nodes (native `fetch` without one). */
  fetch?: typeof fetch;
  /**
   * Models a worker on another node has newly begun to serve, as this node reads the directory
   * (newly-listed.ts): this node's breaker of each (`workers/<model>`), which the workers before it
   * opened, lets its next request probe that worker at once, as for a worker registering here
   * (routing/probe-newly-served.ts).
   */
  newlyServed?: (listed: NewlyServed) => void;
}
