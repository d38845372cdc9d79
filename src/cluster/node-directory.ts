import { randomUUID } from "node:crypto";
import type { RedisClient } from "bun";
import { RELEASE } from "../core/build-commit.ts";
import type { NoWorker } from "../workers/gateway/worker-registry.ts";
import { foreign } from "./cluster-identity.ts";
import { CoalescedTask } from "./coalesced-task.ts";
import { modelsOn, nodesServing, whyNoneOn } from "./directory-workers.ts";
import { ListedWorkers } from "./listed-workers.ts";
import { type EntryWrite, NameLease } from "./name-lease.ts";
import { FORWARD_VERSION, LINK_VERSION, type NodeConfig, type NodeEntry } from "./node-entry.ts";
import { type RedisLink, RedisTimeout } from "./redis-link.ts";
import { stoppingKey, stoppingUntil } from "./stopping-node.ts";

export interface NodeDirectoryOptions {
  link: RedisLink;
  self: { id: string; url: string };
  /**
   * The cluster's id (cluster-claim.ts): the entry is stamped with it, and entries stamped with
   * another are read as none. Without it (tests of the directory alone), nothing is stamped.
   */
  clusterId?: string;
  heartbeatMs: number;
  /** How long the node's name outlives its last renewal (name-lease.ts `leaseTtlMs`); three heartbeats unless given. */
  leaseMs?: number;
  /**
   * A beat found this node's name held by another live process (its URL, name-lease.ts): this node
   * writes no entry meanwhile (`namesake`). Told once per other process.
   */
  onNamesake?: (url: string) => void;
  /** This process's token in its entry (`NodeEntry.instance`); a random one unless given. */
  instance?: string;
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
/** Where a node says its workers changed (its id): every other node reads that node's entry at once. */
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
  private readonly beats = new CoalescedTask(() => this.beat());
  /** Other nodes whose notices came since their entries were last read on one. */
  private readonly noticed = new Set<string>();
  /** Reads the noticed nodes' entries: one read at a time, however many notices come meanwhile. */
  private readonly noticeReads = new CoalescedTask(() => this.readNoticed());
  /**
   * This node's workers changed since the last beat read them: the next beat tells the others,
   * once, however many changes it carries.
   */
  private noticePending = false;
  /** Nodes whose entries a notice read since the last beat began: the beat's read may lack them. */
  private readonly noticedSinceBeat = new Set<string>();
  /**
   * Stopped publishing (`close`, or `publishDraining` holding no workers): nothing more is
   * published, whatever asks; an entry last written stays until it expires.
   */
  private closed = false;
  /** The last write `close` makes, once however many times it is called. */
  private closing: Promise<void> | null = null;
  /** What the entry lists of workers: connected, inherited from a predecessor, or drained. */
  private readonly listed: ListedWorkers;

  /**
   * The error Redis replied to every beat since the last that went through (WRONGTYPE on a key of
   * ours, a script failing), and how many beats in a row: this node's entry is written by none.
   */
  private failing: { error: string; beats: number } | null = null;

  private readonly instance: string;
  /** This process's hold on the node's name. */
  private readonly lease: NameLease;

  constructor(private readonly options: NodeDirectoryOptions) {
    this.instance = options.instance ?? randomUUID();
    this.listed = new ListedWorkers(options.workers, options.now ?? Date.now);
    const { link, self, heartbeatMs, leaseMs, onNamesake } = options;
    this.lease = new NameLease({
      link,
      self: { ...self, instance: this.instance },
      heartbeatMs,
      ...(leaseMs !== undefined ? { ttlMs: leaseMs } : {}),
      ...(onNamesake ? { onHeldElsewhere: onNamesake } : {}),
    });
  }

  /**
   * Joins the directory, once it holds the node's name (name-lease.ts: refused, NodeNameTaken,
   * while another live process holds it). A node restarted under its id inherits the workers its
   * predecessor's entry still lists, draining.
   */
  async start(): Promise<void> {
    await this.lease.take();
    const left = await this.entryLeft();
    await this.options.link.subscribe(CHANGED_CHANNEL, (node) => this.notice(node));
    this.listed.inherit(left, this.options.heartbeatMs);
    await this.beats.join();
    this.timer = setInterval(() => void this.beats.join(), this.options.heartbeatMs);
    this.timer.unref();
  }

  /**
   * Another live process holds this node's name, as the last beat found (its URL): this node
   * publishes no entry, so no other node routes to its workers, until the name is free again.
   */
  namesake(): string | null {
    // Redis away or another cluster's: what the last beat found is not known to stand (a node stays
    // ready while Redis is down); the beat that reaches Redis again says.
    return this.options.link.healthy() ? this.lease.heldElsewhere() : null;
  }

  /**
   * The error Redis replied to each of the last three beats or more (no timeout: Redis answers), by
   * which this node's entry has expired and no other node routes to its workers; null otherwise.
   */
  beatsFailing(): string | null {
    return this.failing !== null && this.failing.beats >= 3 ? this.failing.error : null;
  }

  /** Live nodes last seen, this one included (at least 1): a stopping node's entry is none. */
  liveCount(): number {
    let live = 0;
    for (const entry of this.entries) if (entry.stopping !== true) live++;
    return Math.max(1, live);
  }

  /** Every node whose entry was last seen, this one included: stopping ones too (`NodeEntry.stopping`). */
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
    return this.beats.rerun();
  }

  /**
   * This node's workers changed (one connected, left or started draining): its entry is published
   * now and every other node is told to read it, so that none routes by the old list for up to a
   * heartbeat (a draining worker is chosen by no node from then on). Changes that come while a beat
   * is under way cost one beat and one notice after it, however many they are.
   */
  workersChanged(): Promise<void> {
    this.noticePending = true;
    return this.refresh();
  }

  /**
   * The node stops (its drain begins). Holding workers, from now on its entry says it stops and
   * lists every worker it held as draining, published at once with a notice, and renewed every
   * heartbeat until `close`. No node chooses them, and each answers their models with a draining
   * refusal, never that no worker serves them (a 404): they exist, busy finishing what they have,
   * and register with another node once this one closes them. A worker closed here meanwhile stays
   * listed, for the same reason. Holding none, the node leaves the directory at once (`close`).
   */
  publishDraining(): Promise<void> {
    this.lease.markStopping();
    if (!this.listed.draining && this.listed.now().length === 0) return this.close();
    this.listed.drain();
    return this.workersChanged();
  }

  /**
   * Stops publishing. A node that drains (`publishDraining`) holding workers writes its entry once
   * more, its workers draining, and leaves it to expire three heartbeats later, as a killed node's
   * does: time for the workers it closed to register elsewhere (their first reconnect comes within
   * half a second) before their models read as served nowhere. Any other entry is removed at once.
   */
  close(): Promise<void> {
    this.closing ??= this.lastWrite();
    return this.closing;
  }

  private async lastWrite(): Promise<void> {
    this.closed = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await this.beats.idle();
    const { link, self } = this.options;
    const last = this.listed.draining ? this.entry() : null;
    // The entry is this process's to write or remove only while it holds the name: a successor that
    // took it over (or a twin) keeps its own.
    await link
      .call(async (client) => {
        if (last !== null && last.workers.length > 0) {
          if (!(await this.lease.renew(client, this.entryWrite(last)))) await this.sayStopping(client, last);
        } else if (await this.lease.renew(client)) {
          await client.del(entryKey(self.id));
          await client.srem(NODES, self.id);
        }
        await this.lease.release(client);
      })
      .catch(() => {});
  }

  private beat(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return this.exchange().then(
      () => {
        this.failing = null;
      },
      (error: unknown) => {
        const replied = !(error instanceof RedisTimeout) && this.options.link.healthy();
        const message = error instanceof Error ? error.message : String(error);
        this.failing = replied ? { error: message, beats: (this.failing?.beats ?? 0) + 1 } : null;
        this.options.onError?.(error);
      },
    );
  }

  /** Renews this node's entry, tells the others when its workers changed, and reads every entry. */
  private async exchange(): Promise<void> {
    const { link, self } = this.options;
    // Redis away: a pending notice waits for the beat that follows its return (start-cluster.ts).
    if (!link.reachable()) return;
    const notice = this.noticePending;
    this.noticePending = false;
    this.noticedSinceBeat.clear();
    const entry = this.entry();
    // The link's vouch (the cluster's claim on the database) renewed. Not this cluster's: nothing
    // is published until it is again, and the notice waits for that beat.
    await link.vouch();
    if (!link.healthy()) {
      this.noticePending ||= notice;
      return;
    }
    // Round trips: the vouch above, the name renewed with the entry (one script), the notice with
    // the directory's list (one turn: pipelined), and the entries.
    const read = link.call(async (client) => {
      // Another live process holds the name: its entry stands, and this node's notice waits until
      // it holds the name again.
      const holds = await this.lease.renew(client, this.entryWrite(entry));
      if (!holds) this.noticePending ||= notice;
      const [ids, predecessor] = await Promise.all([
        client.smembers(NODES),
        // A predecessor that still drains keeps the workers this node inherited listed (stopping-node.ts).
        client.get(stoppingKey(self.id)),
        holds && notice ? client.publish(CHANGED_CHANNEL, self.id) : null,
        !holds && this.listed.draining ? this.sayStopping(client, entry) : null,
      ]);
      const until = stoppingUntil(predecessor, this.instance, this.options.heartbeatMs);
      if (until !== null) this.listed.predecessorStands(until);
      if (ids.length === 0) return [];
      const values = (await client.send("MGET", ids.map(entryKey))) as (string | null)[];
      const gone = ids.filter((_, i) => values[i] === null);
      if (gone.length > 0) await client.send("SREM", [NODES, ...gone]);
      return values.flatMap((value) => {
        const read = value === null ? null : this.ours(value);
        return read === null ? [] : [read];
      });
    });
    let entries: NodeEntry[];
    try {
      entries = await read;
    } catch (error) {
      // The notice may not have gone: the next beat sends it, or the others route to this node's
      // old workers (one that drains, or left) until their own heartbeat.
      this.noticePending ||= notice;
      throw error;
    }
    this.entries = merged(this.entries, entries, this.noticedSinceBeat);
    this.options.onUpdate?.(this.entries);
  }

  /**
   * This node drains while its successor holds the name (stopping-node.ts): the successor keeps
   * the workers it inherited listed while this stands, three heartbeats past this write.
   */
  private async sayStopping(client: RedisClient, entry: NodeEntry): Promise<void> {
    const { self, heartbeatMs } = this.options;
    await client.send("SET", [stoppingKey(self.id), JSON.stringify(entry), "PX", String(heartbeatMs * 3)]);
  }

  /** How `entry` is written, with the renewal of the node's name (name-lease.ts). */
  private entryWrite(entry: NodeEntry): EntryWrite {
    const { self, heartbeatMs } = this.options;
    return {
      key: entryKey(self.id),
      value: JSON.stringify(entry),
      ttlMs: heartbeatMs * 3,
      set: NODES,
      member: self.id,
    };
  }

  /** This node's entry as it stands now. */
  private entry(): NodeEntry {
    const { self, config, watching } = this.options;
    return {
      id: self.id,
      ...(this.options.clusterId !== undefined ? { cluster: this.options.clusterId } : {}),
      url: self.url,
      at: (this.options.now ?? Date.now)(),
      instance: this.instance,
      workers: this.listed.now(),
      ...(config ? { config: config() } : {}),
      forwardVersion: FORWARD_VERSION,
      linkVersion: LINK_VERSION,
      release: RELEASE,
      ...(watching?.() ? { watching: true } : {}),
      ...(this.listed.draining ? { stopping: true } : {}),
    };
  }

  /** The entry under this node's id as it starts (predecessor-entry.ts): null without one (or Redis away). */
  private async entryLeft(): Promise<string | null> {
    const { link, self } = this.options;
    if (!link.healthy()) return null;
    return await link.call((client) => client.get(entryKey(self.id))).catch(() => null);
  }

  /**
   * Another node's workers changed: its entry alone is read again, with those of any others that
   * sent one meanwhile. This node's own entry is not renewed: nothing of it changed.
   */
  private notice(node: string): void {
    if (node === this.options.self.id || this.closed) return;
    this.noticed.add(node);
    void this.noticeReads.rerun();
  }

  private async readNoticed(): Promise<void> {
    const { link } = this.options;
    const ids = [...this.noticed];
    this.noticed.clear();
    // Redis away: the beat that follows its return reads every entry (start-cluster.ts).
    if (ids.length === 0 || !link.healthy()) return;
    try {
      const values = (await link.call((client) => client.send("MGET", ids.map(entryKey)))) as (
        | string
        | null
      )[];
      ids.forEach((id, i) => {
        const value = values[i] ?? null;
        this.replaceEntry(id, value === null ? null : this.ours(value));
      });
      this.options.onUpdate?.(this.entries);
    } catch (error) {
      this.options.onError?.(error);
    }
  }

  /** An entry as Redis holds it; null when another cluster stamped it (cluster-identity.ts). */
  private ours(value: string): NodeEntry | null {
    const entry = JSON.parse(value) as NodeEntry;
    const { clusterId } = this.options;
    return clusterId !== undefined && foreign(entry.cluster, clusterId) ? null : entry;
  }

  /** One node's entry as read (null: gone), in place of the one held unless that one is newer. */
  private replaceEntry(node: string, entry: NodeEntry | null): void {
    const held = this.entries.find((e) => e.id === node);
    if (entry === null) this.noticedSinceBeat.delete(node);
    else this.noticedSinceBeat.add(node);
    if (entry === null) this.entries = this.entries.filter((e) => e !== held);
    else if (held === undefined) this.entries = [...this.entries, entry];
    else this.entries = this.entries.map((e) => (e === held ? newer(held, entry) : e));
  }
}

/**
 * The later of two reads of one node's entry: a beat's read of every entry and a notice's read of
 * one may answer in either order.
 */
function newer(held: NodeEntry | undefined, read: NodeEntry): NodeEntry {
  return held !== undefined && held.at > read.at ? held : read;
}

/**
 * A beat's read of every entry over those held: the later of each node's two, and the entries read
 * on a notice since the beat began (`readSince`) kept though the read lacks them: it listed the
 * nodes before they joined, and its stale list dropped them until the next heartbeat.
 */
function merged(
  held: readonly NodeEntry[],
  read: readonly NodeEntry[],
  readSince: ReadonlySet<string>,
): NodeEntry[] {
  const readIds = new Set(read.map((entry) => entry.id));
  return [
    ...read.map((entry) =>
      newer(
        held.find((h) => h.id === entry.id),
        entry,
      ),
    ),
    ...held.filter((entry) => !readIds.has(entry.id) && readSince.has(entry.id)),
  ];
}
