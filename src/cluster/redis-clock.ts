import { monotonicClock } from "../core/steady-clock.ts";
import type { RedisLink } from "./redis-link.ts";

/** A node this far off Redis's clock is told so in the log (its own times are that far off too). */
const SAY_OFF_MS = 1000;
/** A reply slower than this, and than twice the quickest of the last readings, measures the clock too loosely. */
const LOOSE_RTT_MS = 100;
/**
 * How many readings (kept or passed over) the quickest round trip is taken from: a quick one of long
 * ago ages out, so a link slower for good (Redis loaded, moved farther) still follows a clock step.
 */
const RTT_WINDOW = 8;

export interface RedisClockOptions {
  link: RedisLink;
  /** How often the offset is measured again (the cluster heartbeat): a clock stepped by NTP is followed. */
  everyMs: number;
  /** Told when the node's clock goes (or comes back) within SAY_OFF_MS of Redis's: its ms ahead (negative: behind). */
  onOff?: (aheadMs: number, off: boolean) => void;
  /** The node's wall clock, whose offset to Redis's is measured. */
  now?: () => number;
  /**
   * The clock a round trip is timed on: performance.now (with `now` alone given, `now`). On the wall
   * clock a step during a TIME read as a round trip that long (negative for a step back), put the
   * offset half the step off, and passed over the replies after it as slow.
   */
  elapsed?: () => number;
}

/**
 * Redis's wall clock as this node reads it: what to add to `Date.now()` for Redis's time. Every
 * node counts the shared rpm and tpm windows in Redis with its own time stamps (admit-script.ts),
 * so a node whose clock is off would read the others' requests as expired (or as a minute and more
 * away) and drop them from the window they share; on Redis's one clock they are one window. Measured
 * with `TIME` as the link comes up and every `everyMs`, to within half a round trip.
 */
export class RedisClock {
  private offsetMs = 0;
  /**
   * Redis's time less `elapsed`'s, in ms: until measured, the wall clock's at construction. `redisNow`
   * reads Redis's time from it, which a step of this node's wall clock between two readings leaves
   * alone.
   */
  private elapsedOffsetMs: number;
  /** The last RTT_WINDOW readings' round trips (a ring: `nextRtt` is overwritten next). */
  private readonly recentRttMs = new Float64Array(RTT_WINDOW).fill(Number.POSITIVE_INFINITY);
  private nextRtt = 0;
  private saidOff = false;
  private timer: ReturnType<typeof setInterval> | null = null;
  private readonly now: () => number;
  private readonly elapsed: () => number;

  constructor(private readonly options: RedisClockOptions) {
    this.now = options.now ?? Date.now;
    this.elapsed = options.elapsed ?? options.now ?? monotonicClock;
    this.elapsedOffsetMs = this.now() - this.elapsed();
  }

  /** Redis's time less this node's, in ms (0 until measured: the node's own clock). */
  offset(): number {
    return this.offsetMs;
  }

  /**
   * Redis's time now, in epoch ms, as this node last measured it and advanced since on its
   * monotonic clock: what two nodes whose wall clocks disagree (or one NTP steps) read alike, to
   * within their readings' half round trips (json-seal.ts dates its seals by it).
   */
  redisNow(): number {
    return this.elapsed() + this.elapsedOffsetMs;
  }

  /** Measures now (nothing while Redis is away), then every `everyMs`. */
  start(): Promise<void> {
    this.timer ??= setInterval(() => void this.measure(), this.options.everyMs);
    this.timer.unref();
    return this.measure();
  }

  /** One `TIME`: its reply read as at the middle of its round trip (on the node's clock as it came in). */
  async measure(): Promise<void> {
    const sent = this.elapsed();
    let reply: unknown;
    try {
      reply = await this.options.link.call((client) => client.send("TIME", []));
    } catch {
      return; // Redis away or slow: the last offset stands, and the next beat asks again.
    }
    const receivedAt = this.now();
    const received = this.elapsed();
    const [seconds, micros] = Array.isArray(reply) ? reply.map(Number) : [];
    if (seconds === undefined || micros === undefined || !Number.isFinite(seconds + micros)) return;
    const rtt = received - sent;
    const quickest = Math.min(...this.recentRttMs);
    this.recentRttMs[this.nextRtt] = rtt;
    this.nextRtt = (this.nextRtt + 1) % RTT_WINDOW;
    if (rtt > LOOSE_RTT_MS && rtt > 2 * quickest) return;
    const redisMs = seconds * 1000 + micros / 1000;
    this.offsetMs = Math.round(redisMs - (receivedAt - rtt / 2));
    this.elapsedOffsetMs = redisMs - (received - rtt / 2);
    const off = Math.abs(this.offsetMs) >= SAY_OFF_MS;
    if (off !== this.saidOff) {
      this.saidOff = off;
      this.options.onOff?.(-this.offsetMs, off);
    }
  }

  close(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }
}
