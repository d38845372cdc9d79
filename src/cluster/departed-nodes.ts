import type { EventBus } from "../audit/event-bus.ts";
import { monotonicClock } from "../core/steady-clock.ts";
import { entryTtlMs } from "./directory-redis.ts";
import type { NodeEntry } from "./node-entry.ts";
import { MAX_RECONNECT_DELAY_MS } from "./redis-link.ts";

/**
 * How long after this node's return to Redis a node missing from its directory is still taken as
 * listed: a Redis restarted empty lost every entry, and each node writes its own again only as it
 * is back, each reconnecting on its own schedule (up to `MAX_RECONNECT_DELAY_MS` apart) and then
 * vouching for the Redis reached (up to `redis_timeout`). An entry's time to live on top: a node
 * killed meanwhile is told left no later than its entry would have lapsed, had Redis stayed up.
 */
export const returnHoldMs = (settings: { heartbeat: number; redis_timeout: number }): number =>
  entryTtlMs(settings.heartbeat) + MAX_RECONNECT_DELAY_MS + settings.redis_timeout;

/**
 * The nodes that dropped out of the directory as this node reads it (an entry expired three
 * heartbeats after a `kill -9`, or a stopped node's, once drained), told to this node's live stream
 * as `node.left`: the relay brought their requests' starts here, and no finish will come for one
 * still in flight, so its reader (`mindgw tail`) ends its row. Only nodes this one saw listed.
 * A node listed again by another process (`NodeEntry.instance`) is its old process gone as well:
 * killed and started again under the same id (the default name, advertise_url's host:port,
 * survives a restart) before a read saw the gap; `node.left` names that instance, whose requests
 * alone end (their `request.started` names it). Within `returnHoldMs` of this node's return to
 * Redis (`back`) a node missing is not told gone: it may not be back itself yet.
 */
export class DepartedNodes {
  /** The other nodes the read before listed, each with its entry's instance (absent: a release before). */
  private listed: ReadonlyMap<string, string | undefined> = new Map();
  /** When this node was last back on Redis (its monotonic clock), or never. */
  private backAt: number | null = null;

  /** `returnHoldMs`: a node not listed again by then after a return to Redis is gone. */
  private readonly holdMs: number;

  constructor(
    private readonly self: string,
    private readonly bus: EventBus,
    /** `cluster.heartbeat` and `cluster.redis_timeout`, for `returnHoldMs` (none: no hold). */
    settings?: { heartbeat: number; redis_timeout: number },
    private readonly now: () => number = monotonicClock,
  ) {
    this.holdMs = settings === undefined ? 0 : returnHoldMs(settings);
  }

  /** This node reached Redis again: the entries are read again as their nodes write them. */
  back(): void {
    // None listed yet (the first connect, before a read): none to hold, none to tell late.
    if (this.listed.size > 0) this.backAt = this.now();
  }

  /** Every entry as read now: those listed before and not now, or now by another instance, are told gone. */
  read(entries: readonly NodeEntry[]): void {
    const listed = new Map<string, string | undefined>();
    for (const entry of entries) if (entry.id !== this.self) listed.set(entry.id, entry.instance);
    const settling = this.backAt !== null && this.now() - this.backAt < this.holdMs;
    for (const [node, instance] of this.listed) {
      // Not written again yet, maybe: still taken as listed, told gone at a read past the hold.
      if (settling && !listed.has(node)) {
        listed.set(node, instance);
        continue;
      }
      const gone = !listed.has(node) || (instance !== undefined && listed.get(node) !== instance);
      if (gone && this.bus.wants("node.left"))
        this.bus.publish({
          type: "node.left",
          at: Date.now(),
          node,
          ...(instance === undefined ? {} : { instance }),
        });
    }
    this.listed = listed;
  }
}
