import type { RedisClient } from "bun";
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
 * value this build cannot read is taken over.
 */
const TAKE = new RedisScript(`local held = redis.call('GET', KEYS[1])
if held then
  local ok, lease = pcall(cjson.decode, held)
  if ok and type(lease) == 'table' and lease.instance ~= ARGV[2] and not lease.stopping then
    return {held, redis.call('PTTL', KEYS[1])}
  end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
return false`);

/** Removes the lease if instance `ARGV[1]` holds it. */
const RELEASE = new RedisScript(`local held = redis.call('GET', KEYS[1])
if not held then return 0 end
local ok, lease = pcall(cjson.decode, held)
if ok and type(lease) == 'table' and lease.instance == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`);

/** Another live process holding the name: where it is, and how long its lease still runs. */
interface HeldElsewhere {
  url: string;
  instance: string;
  leftMs: number;
}

export interface NameLeaseOptions {
  link: RedisLink;
  self: { id: string; url: string; instance: string };
  heartbeatMs: number;
  /** A renewal found the name held by another live process (its URL); told once per process. */
  onHeldElsewhere?: (url: string) => void;
}

/**
 * A node's name held by one process at a time: a lease in Redis of three heartbeats, taken
 * atomically (two nodes starting together cannot both have it), renewed by every heartbeat and
 * judged by Redis's clock alone. A process killed with `kill -9` leaves it to lapse; one that stops
 * says so in it (a successor takes it at once, and inherits its draining workers) and removes it at
 * the end of its drain.
 */
export class NameLease {
  private stopping = false;
  /** The other process last told of (`onHeldElsewhere`), so each is told once. */
  private toldOf: string | null = null;

  constructor(private readonly options: NameLeaseOptions) {}

  /**
   * Takes the name as the node starts. Held by another live process, it waits for that lease to
   * lapse (its time left and a heartbeat more: a killed predecessor's does); still renewed then, the
   * name is another live node's, and the start is refused (NodeNameTaken, naming its URL). Redis
   * away: the first beat that reaches it takes the name.
   */
  async take(): Promise<void> {
    const { link, self, heartbeatMs } = this.options;
    let deadline: number | null = null;
    for (;;) {
      if (!link.healthy()) return;
      // A failed call is Redis failing: the first beat that reaches it takes the name.
      const held = await link.call((client) => this.tryTake(client)).catch(() => null);
      if (held === null) return;
      const now = performance.now();
      deadline ??= now + held.leftMs + heartbeatMs;
      if (now >= deadline) throw new NodeNameTaken(self.id, held.url);
      await Bun.sleep(Math.min(heartbeatMs, deadline - now));
    }
  }

  /** Renews the lease (a heartbeat's): taken again if it lapsed, and a live process holding it told of. */
  async renew(client: RedisClient): Promise<void> {
    const held = await this.tryTake(client);
    if (held === null) {
      this.toldOf = null;
      return;
    }
    // A node that stops while its successor takes the name over says nothing of it.
    if (this.stopping || held.instance === this.toldOf) return;
    this.toldOf = held.instance;
    this.options.onHeldElsewhere?.(held.url);
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

  private async tryTake(client: RedisClient): Promise<HeldElsewhere | null> {
    const { self, heartbeatMs } = this.options;
    const value: LeaseHolder = {
      instance: self.instance,
      url: self.url,
      ...(this.stopping ? { stopping: true as const } : {}),
    };
    const answer = await TAKE.run(
      client,
      [nameKey(self.id)],
      [JSON.stringify(value), self.instance, String(heartbeatMs * 3)],
    );
    if (!Array.isArray(answer)) return null;
    const [text, leftMs] = answer as [string, number];
    const holder = JSON.parse(text) as LeaseHolder;
    return { url: holder.url, instance: holder.instance, leftMs: Math.max(0, leftMs) };
  }
}
