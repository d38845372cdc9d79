import { upstreamTimeout } from "../core/gateway-error.ts";
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

  private abortedPromise: Promise<never> | undefined;

  /**
   * Rejects with the abort reason once the attempt is aborted. One promise per attempt, raced
   * against each stream read, instead of a listener added and removed for every event.
   */
  get aborted(): Promise<never> {
    if (!this.abortedPromise) {
      this.abortedPromise = new Promise<never>((_, reject) => {
        if (this.signal.aborted) reject(this.signal.reason);
        else this.signal.addEventListener("abort", () => reject(this.signal.reason), { once: true });
      });
      this.abortedPromise.catch(() => {}); // observed by the races; never unhandled
    }
    return this.abortedPromise;
  }

  /** Cheap re-arm for the idle bound between stream events. */
  rearm(): void {
    this.timer?.refresh();
  }

  disarm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Ends upstream work (the caller stopped reading, or the attempt is abandoned). */
  abort(reason: unknown): void {
    this.disarm();
    this.controller.abort(reason);
  }
}
