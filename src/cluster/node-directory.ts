import { randomUUID } from "node:crypto";
import { RELEASE } from "../core/build-commit.ts";
import { CoalescedTask } from "../core/coalesced-task.ts";
import { monotonicClock } from "../core/steady-clock.ts";
import type { NoWorker } from "../workers/gateway/no-worker.ts";
import {
  CHANGED_CHANNEL,
  entryIfOurs,
  entryKey,
  entryWrite,
  NODES,
  readEntries,
  sayStopping,
  sealedEntry,
} from "./directory-redis.ts";
import { modelsOn, nodesServing, whyNoneOn } from "./directory-workers.ts";
import { ListedWorkers } from "./listed-workers.ts";
import { NameLease } from "./name-lease.ts";
import type { NodeDirectoryOptions } from "./node-directory-options.ts";
import { entryClock, FORWARD_VERSION, LINK_VERSION, type NodeEntry } from "./node-entry.ts";
import { NoticedNodes } from "./noticed-nodes.ts";
import { RedisTimeout } from "./redis-link.ts";
import { SeenEntries } from "./seen-entries.ts";
import { predecessorStops, stoppingKey } from "./stopping-node.ts";

/**
 * The node directory and worker presence in Redis. Each node renews its entry every heartbeat
 * with a time to live of three heartbeats, so a node killed with `kill -9` drops out within
 * three; the entry lists its workers and their load. The last directory read is kept, so the
 * number of live nodes is known (for the limits fallback) even while Redis is away.
 */
export class NodeDirectory {
  private timer: ReturnType<typeof setInterval> | null = null;
  private readonly seen = new SeenEntries();
  private readonly beats = new CoalescedTask(() => this.beat());
  private readonly noticed: NoticedNodes;
  /**
   * This node's workers changed since the last beat read them: the next beat tells the others,
   * once, however many changes it carries.
   */
  private noticePending = false;
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
    this.listed = new ListedWorkers(options.workers, options.now ?? monotonicClock);
    this.noticed = new NoticedNodes({
      link: options.link,
      onRead: (read) => {
        for (const [node, value] of read)
          this.seen.noticeRead(node, value === null ? null : this.ours(node, value));
        this.options.onUpdate?.(this.seen.all());
      },
      ...(options.onError ? { onError: options.onError } : {}),
    });
    const { link, self, heartbeatMs, leaseMs, onNamesake, now } = options;
    this.lease = new NameLease({
      link,
      self: { ...self, instance: this.instance },
      heartbeatMs,
      ...(leaseMs !== undefined ? { ttlMs: leaseMs } : {}),
      ...(onNamesake ? { onHeldElsewhere: onNamesake } : {}),
      ...(now ? { now } : {}),
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
    this.listed.inherit(left);
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
    for (const entry of this.seen.all()) if (entry.stopping !== true) live++;
    return Math.max(1, live);
  }

  /** Every node whose entry was last seen, this one included: stopping ones too (`NodeEntry.stopping`). */
  nodes(): readonly NodeEntry[] {
    return this.seen.all();
  }

  /** Every other live node last seen. */
  peers(): NodeEntry[] {
    return this.seen.all().filter((node) => node.id !== this.options.self.id);
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
   * Publishes this node's entry now and reads the others' (the config changed), telling no other
   * node (`entryChanged` does: Redis back, say). A beat under way may have read this node's
   * workers before the change: another follows it.
   */
  refresh(): Promise<void> {
    return this.beats.rerun();
  }

  /**
   * What this node's entry says changed: its workers (one connected, left or started draining) or
   * whether its live stream has readers (`NodeEntry.watching`). The entry is published now and every
   * other node is told to read it, so that none routes by the old list, or relays by the old
   * watching, for up to a heartbeat (a draining worker is chosen by no node from then on). Changes
   * that come while a beat is under way cost one beat and one notice after it, however many they are.
   */
  entryChanged(): Promise<void> {
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
    return this.entryChanged();
  }

  /**
   * Stops publishing and telling: a beat or a notice's read under way is waited for, and what it
   * read reaches no `onUpdate` (start-cluster.ts closes its peer links and event relay first: an
   * update after them opened the relay again, its flush timer left running). A node that drains
   * (`publishDraining`) holding workers writes its entry once more, its workers draining, and leaves
   * it to expire three heartbeats later, as a killed node's does: time for the workers it closed to
   * register elsewhere (their first reconnect comes within half a second) before their models read
   * as served nowhere. Any other entry is removed at once.
   */
  close(): Promise<void> {
    this.closing ??= this.lastWrite();
    return this.closing;
  }

  private async lastWrite(): Promise<void> {
    this.closed = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await Promise.all([this.beats.idle(), this.noticed.close()]);
    const { link, self } = this.options;
    const last = this.listed.draining ? this.entry() : null;
    // The entry is this process's to write or remove only while it holds the name: a successor that
    // took it over (or a twin) keeps its own.
    await link
      .call(async (client) => {
        if (last !== null && last.workers.length > 0) {
          if (
            !(await this.lease.renew(client, entryWrite(last, this.options.heartbeatMs, this.options.seal)))
          )
            await sayStopping(client, last, this.options.heartbeatMs, this.options.seal);
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
    const { link, self, heartbeatMs } = this.options;
    // Redis away: a pending notice waits for the beat that follows its return (start-cluster.ts).
    if (!link.reachable()) return;
    const notice = this.noticePending;
    this.noticePending = false;
    this.seen.beatBegins();
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
      const holds = await this.lease.renew(client, entryWrite(entry, heartbeatMs, this.options.seal));
      if (!holds) this.noticePending ||= notice;
      // A predecessor that still drains keeps the workers this node inherited listed (stopping-node.ts).
      const inheriting = this.listed.inheriting;
      const [ids, predecessor, predecessorLeftMs] = await Promise.all([
        client.smembers(NODES),
        inheriting ? client.get(stoppingKey(self.id)) : null,
        inheriting ? client.pttl(stoppingKey(self.id)) : 0,
        holds && notice ? client.publish(CHANGED_CHANNEL, self.id) : null,
        !holds && this.listed.draining ? sayStopping(client, entry, heartbeatMs, this.options.seal) : null,
      ]);
      const stops = predecessor === null ? null : this.sealed(predecessor);
      if (predecessorStops(stops?.entry ?? null, this.instance))
        this.listed.predecessorStands(Math.min(predecessorLeftMs, stops?.leftMs ?? 0));
      return await readEntries(client, ids, this.options.clusterId, this.options.seal);
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
    this.seen.beatRead(entries);
    if (!this.closed) this.options.onUpdate?.(this.seen.all());
  }

  /** This node's entry as it stands now. */
  private entry(): NodeEntry {
    const { self, config, watching } = this.options;
    return {
      id: self.id,
      ...(this.options.clusterId !== undefined ? { cluster: this.options.clusterId } : {}),
      url: self.url,
      at: (this.options.now ?? entryClock)(),
      instance: this.instance,
      workers: this.listed.now(),
      ...(config ? { config: config() } : {}),
      forwardVersion: FORWARD_VERSION,
      linkVersion: LINK_VERSION,
      answersAsks: true,
      saysHeard: true,
      release: RELEASE,
      ...(watching?.() ? { watching: true } : {}),
      ...(this.listed.draining ? { stopping: true } : {}),
    };
  }

  /**
   * The entry under this node's id as it starts (predecessor-entry.ts), read as every entry is
   * (`sealed`), and how long it stands still: its time to live on Redis's clock, within its seal's
   * bound (a genuine entry copied back with a longer one lends its workers no longer than the seal
   * takes it). Null without one (or Redis away).
   */
  private async entryLeft(): Promise<{ entry: NodeEntry; leftMs: number } | null> {
    const { link, self } = this.options;
    if (!link.healthy()) return null;
    const key = entryKey(self.id);
    const [text, leftMs] = await link
      .call((client) => Promise.all([client.get(key), client.pttl(key)]))
      .catch(() => [null, 0] as const);
    const left = text === null ? null : this.sealed(text);
    // PTTL is negative for a key gone meanwhile (or one written without expiry): nothing stands.
    return left === null ? null : { entry: left.entry, leftMs: Math.max(0, Math.min(leftMs, left.leftMs)) };
  }

  /** A value under this node's own id (its entry's key, its stopping key), read as every node's entry is. */
  private sealed(value: string): { entry: NodeEntry; leftMs: number } | null {
    return sealedEntry(this.options.self.id, value, this.options.clusterId, this.options.seal);
  }

  /**
   * Another node's workers changed: its entry alone is read again, with those of any others that
   * sent one meanwhile. This node's own entry is not renewed: nothing of it changed.
   */
  private notice(node: string): void {
    if (node === this.options.self.id || this.closed) return;
    this.noticed.add(node);
  }

  /** Node `id`'s entry as Redis holds it; null when not this cluster's, not sealed with the secret lately, or another node's. */
  private ours(id: string, value: string): NodeEntry | null {
    return entryIfOurs(id, value, this.options.clusterId, this.options.seal);
  }
}
