import type { WorkerSummary } from "../audit/gateway-event.ts";
import type { NoWorker } from "../workers/gateway/worker-registry.ts";
import { modelsOn, nodesServing, whyNoneOn } from "./directory-workers.ts";
import type { RedisLink } from "./redis-link.ts";

/** What one node publishes about itself every heartbeat. */
export interface NodeEntry {
  id: string;
  /** `cluster.advertise_url`: where other nodes forward requests for its workers. */
  url: string;
  at: number;
  /**
   * The workers whose connections this node holds, with their load and tenant (absent: a node from
   * before tenants had workers, whose workers no caller's tenant is routed to), and whether each
   * drains: then no node chooses it for a new call (absent: it does not, or its node is of a
   * release that did not say).
   */
  workers: (Pick<WorkerSummary, "name" | "models" | "inFlight" | "capacity" | "responsesApi" | "draining"> &
    Partial<Pick<WorkerSummary, "tenant">>)[];
  /** The config the node runs: its own version counter and a fingerprint comparable across nodes. */
  config?: NodeConfig;
  /**
   * The forward format the node takes (forward-endpoint.ts): 2 names the worker and carries the
   * client's headers, query and body text; 3 the caller's tenant. Absent: a node from before,
   * which refuses those fields, so during a rolling upgrade it is sent the first format.
   */
  forwardVersion?: number;
  /** The peer link this node serves (link-endpoint.ts); absent: none, forwards go over HTTP. */
  linkVersion?: number;
  /** Someone reads this node's live event stream: the other nodes relay their requests to it (event-relay.ts). */
  watching?: boolean;
}

/** The forward format this build takes and publishes. */
export const FORWARD_VERSION = 3;
/** The peer link this build serves and opens (`/cluster/v1/link`). */
export const LINK_VERSION = 1;

export interface NodeConfig {
  version: number;
  fingerprint: string;
}

export interface NodeDirectoryOptions {
  link: RedisLink;
  self: { id: string; url: string };
  heartbeatMs: number;
  /** This node's connected workers, read at every heartbeat. */
  workers: () => NodeEntry["workers"];
  /** The config this node runs, read at every heartbeat. */
  config?: () => NodeConfig;
  /** Whether this node's live stream has readers, read at every heartbeat. */
  watching?: () => boolean;
  /** Called with every directory read (this node included). */
  onUpdate?: (entries: readonly NodeEntry[]) => void;
  onError?: (error: unknown) => void;
  now?: () => number;
}

const NODES = "mgw:nodes";
const entryKey = (id: string) => `mgw:node:${id}`;
/** Where a node says its workers changed (its id): every other node reads the directory at once. */
const CHANGED_CHANNEL = "mgw:nodes:changed";

/**
 * The node directory and worker presence in Redis. Each node renews its entry every heartbeat
 * with a time to live of three heartbeats, so a node killed with `kill -9` drops out within
 * three; the entry lists its workers and their load. The last directory read is kept, so the
 * number of live nodes is known (for the limits fallback) even while Redis is away.
 */
export class NodeDirectory {
  private timer: ReturnType<typeof setInterval> | null = null;
  private entries: NodeEntry[] = [];
  private beating: Promise<void> | null = null;
  /** Left the directory (`close`): nothing more is published, whatever asks. */
  private closed = false;

  constructor(private readonly options: NodeDirectoryOptions) {}

  async start(): Promise<void> {
    const { link, self } = this.options;
    await link.subscribe(CHANGED_CHANNEL, (node) => {
      if (node !== self.id) void this.refresh();
    });
    await this.beat();
    this.timer = setInterval(() => void this.beat(), this.options.heartbeatMs);
    this.timer.unref();
  }

  /** Live nodes last seen, this one included (at least 1). */
  liveCount(): number {
    return Math.max(1, this.entries.length);
  }

  /** Every live node last seen, this one included. */
  nodes(): readonly NodeEntry[] {
    return this.entries;
  }

  /** Every other live node last seen. */
  peers(): NodeEntry[] {
    return this.entries.filter((node) => node.id !== this.options.self.id);
  }

  /**
   * Other nodes with a worker that takes a call for `model` from a caller of `tenant` (room, and
   * not draining), least loaded first.
   */
  peersServing(model: string, tenant: string): NodeEntry[] {
    return nodesServing(this.peers(), model, tenant);
  }

  /** Why no other node's worker takes it, once `peersServing` found none (directory-workers.ts `whyNoneOn`). */
  whyNone(model: string, tenant: string): NoWorker {
    return whyNoneOn(this.peers(), model, tenant);
  }

  /** Models some other node's worker serves (draining ones' too): to a caller of `tenant`, or to anyone when none is given. */
  peerModels(tenant?: string): string[] {
    return modelsOn(this.peers(), tenant);
  }

  /**
   * Publishes this node's entry now and reads the others', instead of at the next heartbeat (Redis
   * is back, the config changed). A beat already under way may have read this node's workers
   * before the change: another follows it.
   */
  refresh(): Promise<void> {
    const under = this.beating;
    return under === null ? this.beat() : under.then(() => this.beat());
  }

  /**
   * This node's workers changed (one connected, left or started draining): its entry is published
   * now, then every other node is told to read the directory again, so that none routes by the
   * old list for up to a heartbeat (a draining worker is chosen by no node from then on).
   */
  async workersChanged(): Promise<void> {
    await this.refresh();
    if (this.closed) return;
    await this.options.link.publish(CHANGED_CHANNEL, this.options.self.id).catch(() => {
      // Redis away: the others read the directory at their next heartbeat once it is back.
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await this.beating;
    await this.options.link
      .call(async (client) => {
        await client.del(entryKey(this.options.self.id));
        await client.srem(NODES, this.options.self.id);
      })
      .catch(() => {});
  }

  private beat(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.beating ??= this.exchange()
      .catch((error: unknown) => this.options.onError?.(error))
      .finally(() => {
        this.beating = null;
      });
    return this.beating;
  }

  private async exchange(): Promise<void> {
    const { link, self, heartbeatMs } = this.options;
    if (!link.healthy()) return;
    const entry: NodeEntry = {
      id: self.id,
      url: self.url,
      at: (this.options.now ?? Date.now)(),
      workers: this.options.workers(),
      ...(this.options.config ? { config: this.options.config() } : {}),
      forwardVersion: FORWARD_VERSION,
      linkVersion: LINK_VERSION,
      ...(this.options.watching?.() ? { watching: true } : {}),
    };
    const entries = await link.call(async (client) => {
      await client.send("SET", [entryKey(self.id), JSON.stringify(entry), "PX", String(heartbeatMs * 3)]);
      await client.sadd(NODES, self.id);
      const ids = await client.smembers(NODES);
      if (ids.length === 0) return [];
      const values = (await client.send("MGET", ids.map(entryKey))) as (string | null)[];
      const gone = ids.filter((_, i) => values[i] === null);
      if (gone.length > 0) await client.send("SREM", [NODES, ...gone]);
      return values.flatMap((value) => (value === null ? [] : [JSON.parse(value) as NodeEntry]));
    });
    this.entries = entries;
    this.options.onUpdate?.(entries);
  }
}
