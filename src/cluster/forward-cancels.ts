import { monotonicClock } from "../core/steady-clock.ts";

/** How long a calling node's `POST /cluster/v1/cancel` may take (forward-over-http.ts): none comes later. */
export const FORWARD_CANCEL_TIMEOUT_MS = 5000;

/**
 * The forwards under way on this node by forwardId, for `POST /cluster/v1/cancel` (forward-endpoint.ts).
 * A calling node that leaves a forward closes its connection and posts the cancel at once, on
 * another connection, so the cancel may come after the close has cut the forward; it is the cancel
 * that says whether the calling node's bound cut the call (`timedOut`), which the worker's server
 * is judged by. So a forward the close cut is kept until its cancel comes, no longer than a cancel
 * may take.
 */
export class ForwardCancels {
  /** Each running forward's cut, told whether a bound cut it on the calling node. */
  private readonly running = new Map<string, (timedOut: boolean) => void>();
  /** Forwards the close cut: the verdict their cancel may ask, and until when; in the order of their ends. */
  private readonly closed = new Map<string, { until: number; judge: () => void }>();

  constructor(
    private readonly keepMs = FORWARD_CANCEL_TIMEOUT_MS,
    private readonly now: () => number = monotonicClock,
  ) {}

  /** `forwardId` runs; `cut` ends it when its cancel comes. */
  run(forwardId: string, cut: (timedOut: boolean) => void): void {
    this.running.set(forwardId, cut);
  }

  /** It is over (answered, failed or cut): a cancel now finds nothing running. */
  end(forwardId: string): void {
    this.running.delete(forwardId);
  }

  /** Its calling node's connection closed and cut it: `judge` if its cancel comes saying `timedOut`. */
  cutByClose(forwardId: string, judge: () => void): void {
    const now = this.now();
    for (const [id, kept] of this.closed) {
      if (kept.until > now) break;
      this.closed.delete(id);
    }
    this.closed.set(forwardId, { until: now + this.keepMs, judge });
  }

  /** The calling node's cancel: the forward is cut, or was by the close, and judged if `timedOut`. */
  cancel(forwardId: string, timedOut: boolean): void {
    const cut = this.running.get(forwardId);
    if (cut) {
      cut(timedOut);
      return;
    }
    const kept = this.closed.get(forwardId);
    if (kept === undefined) return;
    this.closed.delete(forwardId);
    if (timedOut && kept.until > this.now()) kept.judge();
  }
}
