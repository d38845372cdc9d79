import { randomUUID } from "node:crypto";
import type { EventBus } from "../audit/event-bus.ts";
import type { GatewayEvent } from "../audit/gateway-event.ts";
import { monotonicClock } from "../core/steady-clock.ts";
import type { JsonSeal } from "./json-seal.ts";
import { entryClock, type NodeEntry } from "./node-entry.ts";
import { RecentIds } from "./recent-ids.ts";
import type { RedisLink } from "./redis-link.ts";
import { type StartTimer, WrittenAsks } from "./written-asks.ts";

export const EVENTS_CHANNEL = "mgw:events";

/** The live traffic: what a reader of `/admin/api/events` (`mindgw tail`, the admin UI) follows. */
const RELAYED: readonly GatewayEvent["type"][] = ["request.started", "request.finished"];
/** How an ask reads in a message's JSON (a key: inside a string its quotes are escaped). */
const ASK_FIELD = '"ask":"';
/** Events held between two publishes; past it, new ones are not relayed (a reader is told nothing). */
const MAX_QUEUED = 10_000;
/**
 * The least an opening stream waits for a node asked to say it heard the ask (a Redis round trip or
 * two, with room for a loaded node); a quarter of `cluster.redis_timeout` when that is more, as a
 * slower link gives a node more time, and never past the ask's own deadline (`heardWithin`). One
 * that has not said it is skipped for that ask, not waited for until the deadline (killed but
 * still listed).
 */
const MIN_HEARD_WITHIN_MS = 500;
/** `answerHoldMs` unless given: three heartbeats of the default second (a test's relay). */
const DEFAULT_ANSWER_HOLD_MS = 3_000;

/** One publish on the channel: a node's events since its last. */
interface RelayMessage {
  /** This message's own (random): one published again is delivered no more (`RecentIds`). */
  id: string;
  /** The sender's cluster's id (from its PostgreSQL database, cluster-claim.ts). */
  cluster: string;
  node: string;
  events: GatewayEvent[];
  /** A node's live stream is opening: write your queued audit rows, then answer (`written`). */
  ask?: string;
  /**
   * When the ask was sent, on its sender's `entryClock`, the clock of its directory entry's `at`: an
   * entry of the asker written after it that says nobody watches there means the reader left.
   * Absent from a node of a release before it.
   */
  askedAt?: number;
  /** That ask was heard: the sender writes its rows and answers (`written`) once they are. */
  heard?: string;
  /**
   * The asker's own, at its heard bound, read back by it alone: every `heard` published before it
   * reached Redis has been read by then, however late the asker's loop came to the bound, and the
   * nodes that did not say it are skipped (written-asks.ts `judgeHeard`).
   */
  heardCheck?: string;
  /** The answer to that ask: the sender's rows queued before it are written; `events` holds its events since. */
  written?: string;
}

export interface EventRelayOptions {
  link: RedisLink;
  nodeId: string;
  /** This node's cluster: the channel is server-wide, so another cluster's messages reach it too. */
  clusterId: string;
  bus: EventBus;
  /**
   * `cluster.secret`'s seal (json-seal.ts `relaySeal`): each message is sealed with it, and one not
   * sealed so (made up by whoever can publish on the Redis server, or sent by a release before
   * seals) or sealed too long ago is dropped, as is one already delivered (published again).
   */
  seal: JsonSeal;
  /** How often queued events are published (one message each time). */
  flushMs?: number;
  /** This node's audit rows queued so far, written (audit-service.ts `queuedWritten`): what an ask waits for. */
  queuedWritten?: () => Promise<void>;
  /**
   * The other nodes, as the directory last listed them: an ask waits for those live and saying
   * they answer (`NodeEntry.answersAsks`).
   */
  peers?: () => readonly NodeEntry[];
  /** The longest a stream's opening waits for the other nodes' answers (`cluster.redis_timeout`). */
  askTimeoutMs?: number;
  /** A test's bound in place of `heardWithin(askTimeoutMs)`: how long an asked node has to say it heard. */
  heardWithinMs?: number;
  /** A test's timer for the heard bound (written-asks.ts `AskBounds`): the test passes the bound itself. */
  heardTimer?: StartTimer;
  /**
   * How long an answered ask keeps this node relaying whatever the directory reads say (a node's
   * name lease, name-lease.ts `leaseTtlMs`): time for the asker's entry to be written and read,
   * not forever for one whose reader left before it was.
   */
  answerHoldMs?: number;
  /** A test's monotonic clock, in place of the process's: it times `answerHoldMs`. */
  now?: () => number;
  /** A test's clock in place of node-entry.ts `entryClock` (what this node's entry's `at` reads). */
  entryClock?: () => number;
}

/**
 * Live traffic across the cluster. A load balancer spreads requests over the nodes, and the
 * operator's `mindgw tail` reaches one of them: that node's readers must see every node's
 * requests. While a node has such a reader it says so in its directory entry (`watching`); every
 * other node, seeing that, taps its own bus and publishes its requests' events on one Redis
 * channel every `flushMs`, stamped with the cluster's id, and the watching node delivers them to its readers (tenant filters
 * apply as to its own). While nobody watches, nothing is tapped and nothing is sent. As a stream
 * opens, its node asks the others to write their queued audit rows (`othersWritten`).
 *
 * Worker and config events stay on their node: its workers and its config are what that node's
 * admin API lists. The relay is best effort, like the stream itself: events published while
 * Redis is away are lost, never retried.
 */
export class EventRelay {
  private queue: GatewayEvent[] = [];
  private untap: (() => void) | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  /**
   * Closed with its node: a directory read still in flight as the node stops may come after, and
   * must not tap the bus again (a tap and a timer nobody would end).
   */
  private closed = false;
  /**
   * The messages delivered, for as long as their seal is taken: from as far ahead as its bound to
   * as far behind (json-seal.ts), so twice the seal's bound from the first delivery.
   */
  private readonly delivered: RecentIds;
  private readonly asks = new WrittenAsks();
  /**
   * The nodes this one answered an ask of, each with when (`answeredAt`, this node's monotonic
   * clock) and when it asked (`askedAt`, the asker's entry clock). The asker writes its entry only
   * on its next beat (after its vouch and its name's renewal), so a read begun before it lands here
   * after the answer, still saying nobody watches: relaying stopped by such a read would miss a
   * request finished before the asker's entry is read. So none stops it for `answerHoldMs`, but a
   * read of an entry the asker wrote after its ask saying nobody watches: its reader left.
   */
  private readonly held = new Map<string, { answeredAt: number; askedAt: number | undefined }>();

  constructor(private readonly options: EventRelayOptions) {
    this.delivered = new RecentIds(2 * options.seal.maxAgeMs);
  }

  /** For this node's directory entry: whether its readers want the other nodes' requests. */
  watching(): boolean {
    return this.options.bus.relayedReaders > 0;
  }

  /**
   * With every directory read: relays this node's requests while another node watches, or while a
   * node this one answered may not have said so yet (`held`).
   */
  observe(entries: readonly NodeEntry[]): void {
    if (this.closed) return;
    const wanted = entries.some((entry) => entry.id !== this.options.nodeId && entry.watching === true);
    const holdMs = this.options.answerHoldMs ?? DEFAULT_ANSWER_HOLD_MS;
    for (const [asker, { answeredAt, askedAt }] of this.held) {
      const entry = entries.find((listed) => listed.id === asker);
      const readerLeft =
        askedAt !== undefined && entry !== undefined && entry.at > askedAt && !entry.watching;
      if (readerLeft || this.now() - answeredAt >= holdMs) this.held.delete(asker);
    }
    if (wanted || this.held.size > 0) this.open();
    else this.stop();
  }

  /**
   * A message on the channel: another node's requests, for this node's readers. None is taken
   * while the Redis database is not this cluster's (the link says so), nor one not stamped by this
   * cluster: another cluster's, or one of a release before stamps (unsealed too, so dropped first);
   * nor one delivered already.
   */
  received(message: string): void {
    const { bus, nodeId, clusterId, link } = this.options;
    if (!link.healthy()) return;
    // Without a reader here only an ask is of use (a false match costs one look at the seal).
    if (bus.relayedReaders === 0 && !message.includes(ASK_FIELD)) return;
    const json = this.options.seal.open(message);
    if (json === null) return;
    let relayed: RelayMessage;
    try {
      relayed = JSON.parse(json) as RelayMessage;
    } catch {
      return;
    }
    if (relayed.node === nodeId) {
      // Its own heard check is the one message of its own it reads.
      if (relayed.cluster === clusterId && typeof relayed.heardCheck === "string")
        this.asks.judgeHeard(relayed.heardCheck);
      return;
    }
    if (relayed.cluster !== clusterId || !Array.isArray(relayed.events)) return;
    if (typeof relayed.id !== "string" || !this.delivered.first(relayed.id)) return;
    if (typeof relayed.ask === "string")
      void this.answer(
        relayed.ask,
        relayed.node,
        typeof relayed.askedAt === "number" ? relayed.askedAt : undefined,
      );
    if (typeof relayed.heard === "string") this.asks.heard(relayed.heard, relayed.node);
    if (bus.relayedReaders > 0) for (const event of relayed.events) bus.deliverRelayed(event);
    // After its events: the stream that waits on it opens with them delivered.
    if (typeof relayed.written === "string") this.asks.answered(relayed.written, relayed.node);
  }

  /**
   * A live stream opens here, and its reader may then read the log (the web UI's live mode): a
   * request another node finished just before has its event gone (relayed before this reader
   * subscribed, or before anyone watched) and its row maybe still in that node's audit batch, so
   * in neither. Each other live node is asked to relay from now on and write its queued rows;
   * this settles once every one has answered, or after `askTimeoutMs`, with the nodes that did not:
   * one that did not say it heard the ask within the heard bound (`heardWithin`), as read once the
   * `heardCheck` this node sends then comes back, is not waited for (a node killed is listed for
   * three heartbeats, and every connect would wait out the deadline for it). Never rejects.
   */
  othersWritten(): Promise<readonly string[]> {
    // A node of a release before asks (a rolling upgrade) would never answer: every connect would
    // wait out the deadline for it.
    const peers: string[] = [];
    // A node that answers without saying it heard (a release before `heard`): waited for as it was.
    const silent: string[] = [];
    for (const peer of this.options.peers?.() ?? []) {
      if (peer.answersAsks !== true || peer.stopping === true) continue;
      peers.push(peer.id);
      if (peer.saysHeard !== true) silent.push(peer.id);
    }
    if (peers.length === 0 || !this.options.link.healthy()) return Promise.resolve([]);
    const timeoutMs = this.options.askTimeoutMs ?? 2_000;
    const bounds = {
      heardWithinMs: this.options.heardWithinMs ?? heardWithin(timeoutMs),
      timeoutMs,
      heardTimer: this.options.heardTimer,
    };
    // A check that cannot be sent (Redis gone since the ask) would never come back to be judged,
    // nor can an answer come (each node's is published on Redis too, and this node reads none while
    // its link is down): settled at once, naming every node not answered, not at the deadline.
    const { id, answered } = this.asks.ask(peers, bounds, silent, (asked) =>
      this.publish({ ...this.stamp(), events: [], heardCheck: asked }, () => this.asks.cutOff(asked)),
    );
    const askedAt = (this.options.entryClock ?? entryClock)();
    this.publish({ ...this.stamp(), events: [], ask: id, askedAt });
    return answered;
  }

  close(): void {
    this.closed = true;
    this.asks.close();
    this.stop();
  }

  /**
   * Another node's stream opens: this node relays from now on (before the asker's notice may have
   * been read), writes the rows it queued before, then answers with the events queued since.
   */
  private async answer(ask: string, asker: string, askedAt: number | undefined): Promise<void> {
    if (this.closed) return;
    this.held.set(asker, { answeredAt: this.now(), askedAt });
    this.open();
    // Before the rows, however long they take: the asker waits for a node that heard it.
    this.publish({ ...this.stamp(), events: [], heard: ask });
    await this.options.queuedWritten?.();
    if (this.closed) return;
    this.publish({ ...this.stamp(), events: this.take(), written: ask });
  }

  private open(): void {
    if (this.untap !== null) return;
    this.untap = this.options.bus.tap(
      "the cluster's event relay",
      (event) => {
        if (this.queue.length < MAX_QUEUED) this.queue.push(event);
      },
      RELAYED,
    );
    this.timer = setInterval(() => this.flush(), this.options.flushMs ?? 25);
    this.timer.unref();
  }

  private stop(): void {
    if (this.untap === null) return;
    this.untap();
    this.untap = null;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.flush();
  }

  private flush(): void {
    if (this.queue.length === 0) return;
    this.publish({ ...this.stamp(), events: this.take() });
  }

  private take(): GatewayEvent[] {
    const events = this.queue;
    this.queue = [];
    return events;
  }

  private now(): number {
    return (this.options.now ?? monotonicClock)();
  }

  private stamp() {
    return { id: randomUUID(), cluster: this.options.clusterId, node: this.options.nodeId };
  }

  /** Publishes `message`; `unsent` is called if it never reached Redis. */
  private publish(message: RelayMessage, unsent?: () => void): void {
    this.options.link.publish(EVENTS_CHANNEL, this.options.seal.seal(JSON.stringify(message))).catch(() => {
      // Redis away: these events are not seen elsewhere; the live stream never promised them. An
      // ask or answer lost so: the asking stream opens at its heard bound (its own check unsent
      // there: `othersWritten`) or its deadline.
      unsent?.();
    });
  }
}

/** How long a node asked has to say it heard the ask, for an ask's deadline of `timeoutMs`. */
export function heardWithin(timeoutMs: number): number {
  return Math.min(timeoutMs, Math.max(MIN_HEARD_WITHIN_MS, timeoutMs / 4));
}
