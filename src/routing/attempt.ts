import { clientClosed, GatewayError, upstreamTimeout } from "../core/gateway-error.ts";
import type { AttemptTimeouts } from "../providers/provider.ts";

/** What each bound waits for, as a timeout message says it. */
const WAITING_FOR = {
  connect: "response headers",
  "first byte": "the first byte",
  idle: "the next chunk",
} as const;

/**
 * One try on one route: its own abort signal (client gone, or a timeout), with a single
 * re-armed timer that enforces whichever bound applies at the moment.
 */
export class Attempt {
  private readonly controller = new AbortController();
  private timer: ReturnType<typeof setTimeout> | undefined;
  readonly signal: AbortSignal;

  constructor(
    clientSignal: AbortSignal,
    readonly timeouts: AttemptTimeouts,
    private readonly routeLabel: string,
  ) {
    this.signal = AbortSignal.any([clientSignal, this.controller.signal]);
  }

  /** Arms the bound for the current phase; the attempt aborts with a 504 when it expires. */
  arm(phase: keyof typeof WAITING_FOR, ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.controller.abort(
        upstreamTimeout(`upstream ${this.routeLabel} timed out waiting for ${WAITING_FOR[phase]} (${ms} ms)`),
      );
    }, ms);
  }

  private pendingReject: ((reason: unknown) => void) | undefined;
  private listening = false;

  /**
   * Settles with `read`, or rejects with the abort reason as soon as the attempt is aborted.
   * One abort listener per attempt, not one per stream event; and unlike a race against a
   * long-lived "aborted" promise, nothing is retained per read (a race adds a reaction to that
   * promise on every call, keeping every event of a long stream alive until the attempt ends).
   */
  read<T>(read: Promise<T>): Promise<T> {
    if (this.signal.aborted) return Promise.reject(this.signal.reason);
    if (!this.listening) {
      this.listening = true;
      this.signal.addEventListener("abort", () => this.pendingReject?.(this.signal.reason), { once: true });
    }
    return new Promise<T>((resolve, reject) => {
      this.pendingReject = reject;
      read.then(
        (value) => {
          this.pendingReject = undefined;
          resolve(value);
        },
        (error) => {
          this.pendingReject = undefined;
          reject(error);
        },
      );
    });
  }

  /** Cheap re-arm for the idle bound between stream events. */
  rearm(): void {
    this.timer?.refresh();
  }

  disarm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /**
   * What a stream read that failed means: a GatewayError as thrown (a timeout, a line bound),
   * the client gone when it was the client's abort, else `fallback`.
   */
  failure(error: unknown, fallback: GatewayError): GatewayError {
    if (error instanceof GatewayError) return error;
    if (this.signal.aborted)
      return this.signal.reason instanceof GatewayError ? this.signal.reason : clientClosed();
    return fallback;
  }

  /** Ends upstream work (the caller stopped reading, or the attempt is abandoned). */
  abort(reason: unknown): void {
    this.disarm();
    this.controller.abort(reason);
  }
}
