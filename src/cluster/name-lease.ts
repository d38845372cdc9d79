import type { RedisClient } from "bun";
import { monotonicClock } from "../core/steady-clock.ts";
import { NodeNameTaken } from "./node-name.ts";
import type { RedisLink } from "./redis-link.ts";
import { RedisScript } from "./redis-script.ts";

/** Where one process at a time holds a node's name: `{ instance, url, stopping? }`. */
const nameKey = (id: string) => `mgw:name:${id}`;

/** What the lease holds: the process (its token), where it is, and whether it stops. */
interface LeaseHolder {
  instance: string;
  url: string;
  stopping?: true;
}

/**
 * Takes (or renews) the lease for instance `ARGV[2]`, writing `ARGV[1]` for `ARGV[3]` ms, unless
 * another instance holds it and does not stop: then answers that one's value and time left. A
 * value this build cannot read (not JSON, or without an instance and URL) is taken over. Given the node's entry too (`KEYS[2]`, the directory
 * `KEYS[3]`), it writes it (`ARGV[4]`, for `ARGV[5]` ms) and lists the node (`ARGV[6]`) in the same
 * step, only when it took the lease: a process that does not hold the name never writes its entry.
 */
const TAKE = new RedisScript(`local held = redis.call('GET', KEYS[1])
if held then
  local ok, lease = pcall(cjson.decode, held)
  if ok and type(lease) == 'table' and type(lease.instance) == 'string' and type(lease.url) == 'string'
    and lease.instance ~= ARGV[2] and not lease.stopping then
    return {held, redis.call('PTTL', KEYS[1])}
  end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
if KEYS[2] then
  redis.call('SET', KEYS[2], ARGV[4], 'PX', ARGV[5])
  redis.call('SADD', KEYS[3], ARGV[6])
end
return false`);

/** Removes the lease if instance `ARGV[1]` holds it. */
const RELEASE = new RedisScript(`local held = redis.call('GET', KEYS[1])
if not held then return 0 end
local ok, lease = pcall(cjson.decode, held)
if ok and type(lease) == 'table' and lease.instance == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`);

/** Another live process holding the name: where it is, and how long its lease still runs. */
export interface HeldElsewhere {
  url: string;
  instance: string;
  leftMs: number;
}

/** A take's answer: this process holds the name now, or another live one does. */
type Taken = { took: true } | { held: HeldElsewhere };

/** The node's directory entry, written with a renewal that keeps the name (never without it). */
export interface EntryWrite {
  key: string;
  value: string;
  ttlMs: number;
  /** The directory set that lists the node, and its id in it. */
  set: string;
  member: string;
}

/** Slack for a beat's round trip and the clocks' granularity beyond one call timing out. */
const BEAT_SLACK_MS = 1_000;

/**
 * How long a lease outlives its last renewal: three heartbeats, and never less than a beat that
 * came late by one call timing out (`redisTimeoutMs`) — two beats, the timeout and some slack. No
 * longer: a node killed (`kill -9`) and started again waits this long for its own name, which every
 * crash of a node pays (5 s at the defaults). A longer stall of Redis may lapse a live holder's
 * lease, and a twin waiting for the name then takes it; the holder finds it held at its next beat
 * and goes not-ready, writing nothing under the name (`renew`): seen, never two writers.
 */
export function leaseTtlMs(heartbeatMs: number, redisTimeoutMs: number): number {
  return Math.max(heartbeatMs * 3, heartbeatMs * 2 + redisTimeoutMs + BEAT_SLACK_MS);
}

/** A node's heartbeat and name lease from its `cluster:` settings (ms), as cluster-directory.ts builds its directory. */
export function leaseTimings(settings: { heartbeat: number; redis_timeout: number }): {
  heartbeatMs: number;
  leaseMs: number;
} {
  return {
    heartbeatMs: settings.heartbeat,
    leaseMs: leaseTtlMs(settings.heartbeat, settings.redis_timeout),
  };
}

export interface NameLeaseOptions {
  link: RedisLink;
  self: { id: string; url: string; instance: string };
  heartbeatMs: number;
  /** The lease's time to live (`leaseTtlMs`); three heartbeats unless given. */
  ttlMs?: number;
  /** A renewal found the name held by another live process (its URL); told once per process. */
  onHeldElsewhere?: (url: string) => void;
  /** The clock a start's wait for a held name is timed on: the monotonic one, or a test's. */
  now?: () => number;
}

/**
 * A node's name held by one process at a time: a lease in Redis (`leaseTtlMs`), taken atomically
 * (two nodes starting together cannot both have it), renewed by every heartbeat together with the
 * node's entry, and judged by Redis's clock alone. Only the holder writes the node's entry: a
 * process whose renewal finds the name another live one's writes nothing under it until the name
 * is free again (`heldElsewhere`, for readiness). A process killed with `kill -9` leaves it to
 * lapse; one that stops says so in it (a successor takes it at once, and inherits its draining
 * workers) and removes it at the end of its drain.
 */
export class NameLease {
  private stopping = false;
  /** The other process last told of (`onHeldElsewhere`), so each is told once. */
  private toldOf: string | null = null;
  /** The other live process the last renewal found holding the name; null: this one holds it. */
  private elsewhere: HeldElsewhere | null = null;

  constructor(private readonly options: NameLeaseOptions) {}

  /**
   * Takes the name as the node starts. Held by another live process, it waits for that lease to
   * lapse (its time left and a heartbeat more: a killed predecessor's does); still renewed then, the
   * name is another live node's, and the start is refused (NodeNameTaken, naming its URL and the
   * last call's failure). A call that fails meanwhile is asked again until then: a hiccup of Redis
   * is no free name. Redis never answering (away at start, or its calls failing until a lease would
   * have lapsed): the node starts, and writes no entry until a beat that reaches Redis takes the
   * name — `renew` gates every write on the lease, so it can never be a second writer, and a node
   * started during an outage does not crash-loop.
   */
  async take(): Promise<void> {
    const { link, self, heartbeatMs } = this.options;
    let deadline: number | null = null;
    let lastHolder: HeldElsewhere | null = null;
    /** The last call's failure, said with a refusal (null: the last call answered). */
    let lastError: string | null = null;
    for (;;) {
      if (lastHolder === null && deadline === null && !link.healthy()) return;
      let taken: Taken | null = null;
      try {
        taken = await link.call((client) => this.tryTake(client));
        lastError = null;
      } catch (error) {
        // Asked again below, until the deadline.
        lastError = error instanceof Error ? error.message : String(error);
      }
      if (taken !== null && "took" in taken) return;
      if (taken !== null) lastHolder = taken.held;
      const now = (this.options.now ?? monotonicClock)();
      deadline ??= now + (lastHolder?.leftMs ?? this.ttlMs()) + heartbeatMs;
      if (now >= deadline) {
        // No live holder ever seen: started as when Redis is away at start.
        if (lastHolder === null) return;
        throw new NodeNameTaken(self.id, lastHolder.url, lastError);
      }
      await Bun.sleep(Math.min(heartbeatMs, deadline - now));
    }
  }

  /**
   * Renews the lease (a heartbeat's), writing `entry` with it if it keeps the name: taken again if it
   * lapsed. Answers whether this process holds the name; a live process holding it is told of.
   */
  async renew(client: RedisClient, entry?: EntryWrite): Promise<boolean> {
    const taken = await this.tryTake(client, entry);
    if ("took" in taken) {
      this.toldOf = null;
      this.elsewhere = null;
      return true;
    }
    const { held } = taken;
    this.elsewhere = held;
    // A node that stops while its successor takes the name over says nothing of it.
    if (this.stopping || held.instance === this.toldOf) return false;
    this.toldOf = held.instance;
    this.options.onHeldElsewhere?.(held.url);
    return false;
  }

  /**
   * Another live process holds the name, as the last renewal found (its URL): this node writes
   * nothing under it meanwhile. Null while this process holds it, or stops (its successor holds it).
   */
  heldElsewhere(): string | null {
    return this.stopping ? null : (this.elsewhere?.url ?? null);
  }

  /** The node stops: from its next renewal, the lease says so, and a successor may take it. */
  markStopping(): void {
    this.stopping = true;
  }

  /** Lets the name go (the drain over), unless another process holds it by now. */
  async release(client: RedisClient): Promise<void> {
    const { self } = this.options;
    await RELEASE.run(client, [nameKey(self.id)], [self.instance]);
  }

  private ttlMs(): number {
    return this.options.ttlMs ?? this.options.heartbeatMs * 3;
  }

  private async tryTake(client: RedisClient, entry?: EntryWrite): Promise<Taken> {
    const { self } = this.options;
    const value: LeaseHolder = {
      instance: self.instance,
      url: self.url,
      ...(this.stopping ? { stopping: true as const } : {}),
    };
    const lease = [JSON.stringify(value), self.instance, String(this.ttlMs())];
    const answer = await (entry === undefined
      ? TAKE.run(client, [nameKey(self.id)], lease)
      : TAKE.run(
          client,
          [nameKey(self.id), entry.key, entry.set],
          [...lease, entry.value, String(entry.ttlMs), entry.member],
        ));
    if (!Array.isArray(answer)) return { took: true };
    const [text, leftMs] = answer as [string, number];
    const holder = JSON.parse(text) as LeaseHolder;
    return { held: { url: holder.url, instance: holder.instance, leftMs: Math.max(0, leftMs) } };
  }
}
