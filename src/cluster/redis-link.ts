import { RedisClient } from "bun";

export interface RedisLinkOptions {
  url: string;
  /** A call slower than this fails (and marks Redis down). */
  timeoutMs: number;
  /** First reconnect delay; doubles up to `maxRetryMs`. */
  retryMs?: number;
  maxRetryMs?: number;
  /** Called when Redis goes down (false, with the reason) and when it is back (true). */
  onHealthChange?: (healthy: boolean, reason: string) => void;
}

class RedisTimeout extends Error {}

/**
 * One node's connections to Redis: a command connection and, once something subscribes, a
 * subscriber connection. Calls never queue while Redis is away (they fail at once or after
 * `timeoutMs`), so callers can fall back instead of hanging; the link reconnects by itself with
 * backoff and re-subscribes. `healthy()` is what the fallbacks read.
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
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      return await Promise.race([
        work(client),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new RedisTimeout(`redis call took over ${this.options.timeoutMs} ms`)),
            this.options.timeoutMs,
          );
        }),
      ]);
    } catch (error) {
      // A slow reply or a reply error (a script bug) says nothing about the connection: only a
      // closed one marks Redis down. A timed-out call still fails, so its caller falls back.
      if (!(error instanceof RedisTimeout) && !client.connected) this.lost(client, error);
      throw error;
    } finally {
      clearTimeout(timer);
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

  close(): void {
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.client?.close();
    this.subscriber?.close();
    this.client = null;
    this.subscriber = null;
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
      connectionTimeout: Math.max(100, this.options.timeoutMs * 4),
    };
    const client = new RedisClient(this.options.url, options);
    const subscriber = new RedisClient(this.options.url, options);
    try {
      await client.connect();
      await client.send("PING", []);
      await subscriber.connect();
      for (const [channel, listener] of this.channels) await subscriber.subscribe(channel, listener);
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
    this.lastError = error instanceof Error ? error.message : String(error);
    if (this.isHealthy) {
      this.isHealthy = false;
      this.options.onHealthChange?.(false, this.lastError);
    }
    if (this.closed || this.timer !== null) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.connect();
    }, this.retryDelay);
    this.timer.unref();
    this.retryDelay = Math.min(this.retryDelay * 2, this.options.maxRetryMs ?? 2_000);
  }
}
