import { RedisClient } from "bun";

export interface RedisLinkOptions {
  url: string;
  /**
   * A call slower than this fails; when nothing at all came back from Redis meanwhile, Redis is
   * taken as down (frozen, or cut off without a closed connection) and reconnected.
   */
  timeoutMs: number;
  /** First reconnect delay; doubles up to `maxRetryMs`. */
  retryMs?: number;
  maxRetryMs?: number;
  /** Called when Redis goes down (false, with the reason) and when it is back (true). */
  onHealthChange?: (healthy: boolean, reason: string) => void;
  /**
   * Each command written to the socket as it is sent, rather than with everything else sent in the
   * same turn of the event loop (Bun's auto-pipelining, the default). Commands still pipeline;
   * what it buys is order with the node's other sockets: a count sent before an answer is written
   * is on its way to Redis before the answer is (cluster/redis-counters.ts). For callers that
   * batch their own commands: each costs a write of its own.
   */
  writeAtOnce?: boolean;
}

class RedisTimeout extends Error {}

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
  private isHealthy = false;
  private retryDelay: number;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private connecting: Promise<void> | null = null;
  private closed = false;
  private lastError = "not connected";
  /** `performance.now()` when Redis last answered anything (a reply or a reply error). */
  private lastReplyMs = 0;

  constructor(private readonly options: RedisLinkOptions) {
    this.retryDelay = options.retryMs ?? 100;
  }

  /** Connects; resolves false (and keeps retrying in the background) when Redis is not there. */
  async start(): Promise<boolean> {
    await this.connect();
    if (!this.isHealthy) this.options.onHealthChange?.(false, this.lastError);
    return this.isHealthy;
  }

  healthy(): boolean {
    return this.isHealthy;
  }

  /** Runs one command (or script) with the timeout. Throws when Redis is down or slow. */
  async call<T>(work: (client: RedisClient) => Promise<T>): Promise<T> {
    const client = this.client;
    if (client === null || !this.isHealthy) throw new Error("redis unavailable");
    const sentMs = performance.now();
    try {
      const result = await this.bounded(work(client), "call");
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
    }
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
    const { client, subscriber } = this;
    // Let go first: the closes below call back (onclose), and must find nothing to report.
    this.client = null;
    this.subscriber = null;
    client?.close();
    subscriber?.close();
  }

  /** `work` within `timeoutMs` (a connect's steps within four of them), else a RedisTimeout. */
  private async bounded<T>(work: Promise<T>, what: "call" | "connect"): Promise<T> {
    const ms = what === "call" ? this.options.timeoutMs : this.connectTimeoutMs();
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      return await Promise.race([
        work,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new RedisTimeout(`redis ${what} took over ${ms} ms`)), ms);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  private connectTimeoutMs(): number {
    return Math.max(100, this.options.timeoutMs * 4);
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
    try {
      // Bounded as a whole: a frozen Redis accepts the connection and then says nothing.
      await this.bounded(
        (async () => {
          await client.connect();
          await client.send("PING", []);
          await subscriber.connect();
          for (const [channel, listener] of this.channels) await subscriber.subscribe(channel, listener);
        })(),
        "connect",
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
    client.onclose = (error) => this.lost(client, error);
    subscriber.onclose = (error) => this.lost(client, error);
    this.retryDelay = this.options.retryMs ?? 100;
    this.lastReplyMs = performance.now();
    if (!this.isHealthy) {
      this.isHealthy = true;
      this.options.onHealthChange?.(true, "connected");
    }
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
    this.lastError = error instanceof Error ? error.message : String(error);
    if (this.isHealthy) {
      this.isHealthy = false;
      this.options.onHealthChange?.(false, this.lastError);
    }
    if (this.timer !== null) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.connect();
    }, this.retryDelay);
    this.timer.unref();
    this.retryDelay = Math.min(this.retryDelay * 2, this.options.maxRetryMs ?? 2_000);
  }
}
