import { RedisClient } from "bun";
import { messageOf } from "../core/describe-error.ts";
import { timerDelay } from "../core/timer-delay.ts";

export interface RedisLinkOptions {
  url: string;
  /**
   * A call slower than this fails; when nothing at all came back from Redis meanwhile, Redis is
   * taken as down (frozen, or cut off without a closed connection) and reconnected.
   */
  timeoutMs: number;
  /** First reconnect delay; doubles up to `maxRetryMs` (`MAX_RECONNECT_DELAY_MS` unless given). */
  retryMs?: number;
  maxRetryMs?: number;
  /** Called when Redis goes down (false, with the reason) and when it is back (true). */
  onHealthChange?: (healthy: boolean, reason: string) => void;
  /**
   * Each command written to the socket as it is sent, rather than with everything else sent in the
   * same turn of the event loop (Bun's auto-pipelining, the default). Bun then sends a command only
   * once the one before it is answered: nothing pipelines, and a call that waits on Redis holds up
   * every call after it. For tests that read Redis from another client in the turn a call is made.
   */
  writeAtOnce?: boolean;
  /**
   * Whether the Redis reached is this node's to use (the cluster's claim on it, cluster-claim.ts):
   * null yes, else why not. Asked at every connect, before the link says it is healthy, and again
   * at every `vouch`. While it says no, the link is unhealthy to every caller (they fall back as
   * when Redis is down), and only `vouch` still reaches Redis.
   */
  vouch?: (client: RedisClient) => Promise<string | null>;
}

/**
 * The longest wait between reconnects to a Redis away, by default. Each node waits on its own
 * schedule, so nodes reach a Redis back up to this far apart (departed-nodes.ts waits that out).
 */
export const MAX_RECONNECT_DELAY_MS = 2_000;

/** A call Redis did not answer in `timeoutMs` (the link goes down with it): not an error Redis replied. */
export class RedisTimeout extends Error {}

/** A call sent and not yet answered: when, and how to fail it at its deadline. */
interface PendingCall {
  readonly sentMs: number;
  readonly fail: (error: RedisTimeout) => void;
}

/**
 * One node's connections to Redis: a command connection and, once something subscribes, a
 * subscriber connection. Calls never queue while Redis is away (they fail at once or after
 * `timeoutMs`), so callers can fall back instead of hanging; the link reconnects by itself with
 * backoff and re-subscribes. `healthy()` is what the fallbacks read. A Redis that stops answering
 * without closing its connections (SIGSTOP, a network partition) costs one call's timeout: then
 * it is down, every caller falls back at once, and the link reconnects as after a close.
 */
export class RedisLink {
  private client: RedisClient | null = null;
  private subscriber: RedisClient | null = null;
  private readonly channels = new Map<string, (message: string) => void>();
  /** Connected (the command connection answers), whether or not `vouch` lets callers use it. */
  private isHealthy = false;
  /** Why `vouch` last said the Redis reached is not this node's to use; null: it is (or not asked yet). */
  private refused: string | null = null;
  /**
   * What `onHealthChange` last said: up, down, or refused by `vouch` (down before the first connect;
   * a first connect refused says nothing: `start` answers it).
   */
  private said: "up" | "down" | "refused" = "down";
  /** `start` has returned: a connect refused from then on is said. */
  private started = false;
  private retryDelay: number;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private connecting: Promise<void> | null = null;
  private closed = false;
  private lastError = "not connected";
  /** `performance.now()` when Redis last answered anything (a reply or a reply error). */
  private lastReplyMs = 0;
  /** Calls not yet answered, oldest first (insertion order): one timer bounds them all. */
  private readonly pending = new Set<PendingCall>();
  private deadline: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly options: RedisLinkOptions) {
    this.retryDelay = options.retryMs ?? 100;
  }

  /** Connects; resolves false (and keeps retrying in the background) when Redis is not there. */
  async start(): Promise<boolean> {
    await this.connect();
    this.started = true;
    if (!this.isHealthy) this.options.onHealthChange?.(false, this.lastError);
    return this.healthy();
  }

  /** Connected, and the Redis reached is this node's to use (`vouch`). */
  healthy(): boolean {
    return this.isHealthy && this.refused === null;
  }

  /** Connected, whether or not the Redis reached is this node's to use. */
  reachable(): boolean {
    return this.isHealthy;
  }

  /** Why the Redis reached is not this node's to use (`RedisLinkOptions.vouch`), while it is not. */
  refusal(): string | null {
    return this.isHealthy ? this.refused : null;
  }

  /**
   * Asks `RedisLinkOptions.vouch` again (a heartbeat renews the claim with it), and says the change
   * when its answer changed. Nothing while Redis is away: the connect that follows asks.
   */
  async vouch(): Promise<void> {
    const vouch = this.options.vouch;
    if (vouch === undefined || !this.isHealthy) return;
    try {
      this.refused = await this.call(vouch, true);
    } catch {
      return; // Redis lost, or slow: `call` judged it.
    }
    this.sayHealth();
  }

  /**
   * Runs one command (or script) with the timeout. Throws when Redis is down or slow, or is not this
   * node's to use (`vouch`, whose own calls pass: `unvouched`).
   */
  async call<T>(work: (client: RedisClient) => Promise<T>, unvouched = false): Promise<T> {
    const client = this.client;
    if (client === null || !this.isHealthy || (this.refused !== null && !unvouched))
      throw new Error(this.refusal() ?? "redis unavailable");
    const sentMs = performance.now();
    // Bounded by the link's one deadline timer, not a timer and a race of its own: a call costs a
    // set entry, whatever the load.
    const { promise, resolve, reject } = Promise.withResolvers<T>();
    const entry: PendingCall = { sentMs, fail: reject };
    this.pending.add(entry);
    this.armDeadline();
    try {
      work(client).then(resolve, reject);
      const result = await promise;
      this.lastReplyMs = performance.now();
      return result;
    } catch (error) {
      if (error instanceof RedisTimeout) {
        // One slow reply says nothing about the connection; silence since the call was sent does:
        // Redis answers in order, so nothing came back for anyone in `timeoutMs`.
        if (this.lastReplyMs < sentMs) this.lost(client, error);
      } else if (!client.connected) this.lost(client, error);
      else this.lastReplyMs = performance.now(); // a reply error (a script bug) is an answer
      throw error;
    } finally {
      this.pending.delete(entry);
    }
  }

  /** The timer for the oldest call's deadline, unless one is set (it sets the next as it fires). */
  private armDeadline(): void {
    if (this.deadline !== null) return;
    const oldest = this.pending.values().next().value;
    if (oldest === undefined) return;
    const ms = Math.max(0, oldest.sentMs + this.options.timeoutMs - performance.now());
    // Past setTimeout's range (a 30-day timeout) in steps: `failLateCalls` looks again.
    this.deadline = setTimeout(() => {
      this.deadline = null;
      this.failLateCalls();
    }, timerDelay(ms));
  }

  /** Every call past its deadline fails with a RedisTimeout (`call` then judges the connection). */
  private failLateCalls(): void {
    const { timeoutMs } = this.options;
    const now = performance.now();
    for (const entry of this.pending) {
      if (now - entry.sentMs < timeoutMs) break;
      this.pending.delete(entry);
      entry.fail(new RedisTimeout(`redis call took over ${timeoutMs} ms`));
    }
    this.armDeadline();
  }

  /** Listens on a channel from now on, across reconnects. */
  async subscribe(channel: string, listener: (message: string) => void): Promise<void> {
    this.channels.set(channel, listener);
    if (this.subscriber !== null) await this.subscriber.subscribe(channel, listener);
  }

  publish(channel: string, message: string): Promise<unknown> {
    return this.call((client) => client.publish(channel, message));
  }

  /** Closes both connections for good; their closing is no outage, so nothing is reported. */
  close(): void {
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (this.deadline !== null) clearTimeout(this.deadline);
    this.deadline = null;
    const { client, subscriber } = this;
    // Let go first: the closes below call back (onclose), and must find nothing to report.
    this.client = null;
    this.subscriber = null;
    client?.close();
    subscriber?.close();
  }

  /** A connect's steps within four call timeouts, else a RedisTimeout. */
  private async withinConnectTimeout<T>(work: Promise<T>): Promise<T> {
    const ms = this.connectTimeoutMs();
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      return await Promise.race([
        work,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new RedisTimeout(`redis connect took over ${ms} ms`)), ms);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Within what a timer holds: Bun's client refuses a longer `connectionTimeout` (a RangeError). */
  private connectTimeoutMs(): number {
    return timerDelay(Math.max(100, this.options.timeoutMs * 4));
  }

  private connect(): Promise<void> {
    this.connecting ??= this.open().finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  private async open(): Promise<void> {
    const options = {
      autoReconnect: false,
      enableOfflineQueue: false,
      enableAutoPipelining: this.options.writeAtOnce !== true,
      connectionTimeout: this.connectTimeoutMs(),
    };
    const client = new RedisClient(this.options.url, options);
    const subscriber = new RedisClient(this.options.url, options);
    /** The channels this connect subscribed: one subscribed after them (during its vouch) is not. */
    const listening = new Set<string>();
    try {
      // Bounded as a whole: a frozen Redis accepts the connection and then says nothing.
      await this.withinConnectTimeout(
        (async () => {
          await client.connect();
          await client.send("PING", []);
          await subscriber.connect();
          for (const [channel, listener] of this.channels) {
            await subscriber.subscribe(channel, listener);
            listening.add(channel);
          }
          this.refused = (await this.options.vouch?.(client)) ?? null;
        })(),
      );
    } catch (error) {
      client.close();
      subscriber.close();
      this.failed(error);
      return;
    }
    if (this.closed) {
      client.close();
      subscriber.close();
      return;
    }
    this.client = client;
    this.subscriber = subscriber;
    // Subscribed while this connect was past its channels: `subscribe` found no subscriber then.
    for (const [channel, listener] of this.channels)
      if (!listening.has(channel)) void subscriber.subscribe(channel, listener).catch(() => {});
    client.onclose = (error) => this.lost(client, error);
    subscriber.onclose = (error) => this.lost(client, error);
    this.retryDelay = this.options.retryMs ?? 100;
    this.lastReplyMs = performance.now();
    this.isHealthy = true;
    this.sayHealth();
  }

  /**
   * Tells `onHealthChange` when the link is no longer what it last said: up, down, or reached and
   * refused by `vouch` — a Redis that comes back another cluster's (restarted without its data while
   * this node was away from it) is said as one whose claim is taken while the link is up.
   */
  private sayHealth(): void {
    const now = this.healthy() ? "up" : this.refusal() !== null ? "refused" : "down";
    if (now === this.said) return;
    const before = this.said;
    this.said = now;
    // Refused at the first connect: `start` answers it, and the node does not start.
    if (now === "refused" && before === "down" && !this.started) return;
    const reason = now === "up" ? "connected" : now === "refused" ? (this.refused ?? "") : this.lastError;
    this.options.onHealthChange?.(now === "up", reason);
  }

  private lost(client: RedisClient, error: unknown): void {
    if (this.client !== client) return; // an old connection closing late
    this.client = null;
    client.close();
    this.subscriber?.close();
    this.subscriber = null;
    this.failed(error);
  }

  private failed(error: unknown): void {
    if (this.closed) return;
    this.lastError = messageOf(error);
    this.isHealthy = false;
    this.sayHealth();
    if (this.timer !== null) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.connect();
    }, this.retryDelay);
    this.timer.unref();
    this.retryDelay = Math.min(this.retryDelay * 2, this.options.maxRetryMs ?? MAX_RECONNECT_DELAY_MS);
  }
}
