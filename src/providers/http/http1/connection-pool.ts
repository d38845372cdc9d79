import { monotonicClock } from "../../../core/steady-clock.ts";
import type { ConnectionOwner, Origin } from "./exchange.ts";
import { Http1Connection } from "./http1-connection.ts";

/**
 * How long a connection stays idle by default: under the 5 s that uvicorn (vLLM) and Node close
 * idle keep-alive connections after, so we rarely race a server's close with a request.
 */
export const DEFAULT_IDLE_MS = 4000;
/** Idle connections kept per origin; a burst past it leaves the extra ones closed, not capped. */
export const MAX_IDLE_PER_ORIGIN = 512;

export interface PoolOptions {
  idleMs?: number;
  /**
   * The clock idle time is measured on (a test's): by default the monotonic one, which an NTP step
   * never moves — on the wall clock a step back kept idle connections past their time for the
   * step's length (reused after a load balancer dropped them), and one forward closed them all.
   */
  now?: () => number;
}

/**
 * Kept-alive connections per origin. It caps nothing: a request that finds no idle connection
 * opens one, however many are busy. Idle ones are reused most recent first (the least likely to
 * have been closed by the server), closed past their idle time (ours, or the server's
 * `Keep-Alive: timeout` if shorter), and dropped as soon as the server closes them.
 */
export class ConnectionPool implements ConnectionOwner {
  private readonly idleByOrigin = new Map<string, Http1Connection[]>();
  private readonly idleMs: number;
  private readonly now: () => number;
  private sweeper: ReturnType<typeof setInterval> | undefined;
  private idleCount = 0;

  constructor(options: PoolOptions = {}) {
    this.idleMs = options.idleMs ?? DEFAULT_IDLE_MS;
    this.now = options.now ?? monotonicClock;
  }

  /** An idle connection to the origin, or undefined when there is none to reuse. */
  take(origin: Origin): Http1Connection | undefined {
    const idle = this.idleByOrigin.get(origin.key);
    if (!idle) return undefined;
    const now = this.now();
    for (let connection = idle.pop(); connection; connection = idle.pop()) {
      connection.pooled = false;
      this.idleCount--;
      if (now - connection.idleSince < connection.idleMs) {
        connection.hold(true);
        return connection;
      }
      connection.destroy();
    }
    return undefined;
  }

  /** A new connection (rejects when the upstream cannot be reached). */
  open(origin: Origin): Promise<Http1Connection> {
    return Http1Connection.open(origin, this, this.idleMs);
  }

  idle(connection: Http1Connection): void {
    let idle = this.idleByOrigin.get(connection.origin.key);
    if (!idle) {
      idle = [];
      this.idleByOrigin.set(connection.origin.key, idle);
    }
    if (idle.length >= MAX_IDLE_PER_ORIGIN) {
      connection.destroy();
      return;
    }
    connection.idleSince = this.now();
    connection.pooled = true;
    connection.hold(false);
    idle.push(connection);
    this.idleCount++;
    this.sweeper ??= setInterval(this.sweepTick, 1000).unref();
  }

  closed(connection: Http1Connection): void {
    if (!connection.pooled) return;
    connection.pooled = false;
    const idle = this.idleByOrigin.get(connection.origin.key);
    const at = idle ? idle.indexOf(connection) : -1;
    if (idle && at >= 0) {
      idle.splice(at, 1);
      this.idleCount--;
    }
  }

  /**
   * The sweep timer's callback, made once: an arrow written inside `idle` would make JSC allocate
   * that method's scope on every call (every upstream call hands its connection back here).
   */
  private readonly sweepTick = (): void => this.sweep();

  /** Closes connections idle past their time; stops when none is left idle. */
  sweep(): void {
    const now = this.now();
    for (const idle of this.idleByOrigin.values()) {
      for (const connection of idle.filter((c) => now - c.idleSince >= c.idleMs)) connection.destroy();
    }
    if (this.idleCount === 0 && this.sweeper !== undefined) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }

  /** Closes every idle connection. */
  close(): void {
    for (const idle of this.idleByOrigin.values()) for (const connection of [...idle]) connection.destroy();
  }
}
