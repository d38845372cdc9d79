/** Why `enter()` turned a request away. */
export type Refusal = "draining" | "full";

/**
 * Readiness, draining and the bounds on requests in flight and on live event streams. After `drain()` the gateway is not
 * ready, takes no new requests, and `idle()` resolves once every request in flight (streams
 * included) has finished, and every live event stream has ended. At `maxInFlight()` requests it
 * refuses the next one at once rather than queue it behind generations that may last minutes.
 */
export class Lifecycle {
  private inFlight = 0;
  /**
   * Live event streams (`/admin/api/events`: `mindgw tail`, the web UI live): each entered as a
   * request, then counted here alone. Open for hours and serving no model call, they are no
   * request in flight (`active`: the metric, the bound, the upstream client's choice); a drain
   * closes them first (`beforeDrain`) and waits for their ends, which write their audit rows.
   */
  private eventStreams = 0;
  private draining = false;
  private waiters: (() => void)[] = [];

  /** The bounds are read per request, so a config reload changes them; 0 means no bound. */
  constructor(
    private readonly maxInFlight: () => number = () => 0,
    private readonly maxEventStreams: () => number = () => 0,
  ) {}

  get isDraining(): boolean {
    return this.draining;
  }

  get active(): number {
    return this.inFlight;
  }

  /** Live event streams open now (`toEventStream`). */
  get eventStreamsOpen(): number {
    return this.eventStreams;
  }

  /** The bound on live event streams, for error messages (0: none). */
  get eventStreamLimit(): number {
    return this.maxEventStreams();
  }

  /** Counts a request in, or says why not (the caller answers 503). */
  enter(): Refusal | undefined {
    if (this.draining) return "draining";
    const max = this.maxInFlight();
    if (max > 0 && this.inFlight >= max) return "full";
    this.inFlight++;
    return undefined;
  }

  /** The bound on requests in flight, for error messages (0: none). */
  get limit(): number {
    return this.maxInFlight();
  }

  leave(): void {
    this.inFlight--;
    this.wakeIfIdle();
  }

  /**
   * A request counted in is a live event stream from now: no longer in flight, still waited for
   * by a drain. At the bound it stays a request, and false says so (the caller answers 503): each
   * stream is a subscriber every request's events are handed to, on the main loop.
   */
  toEventStream(): boolean {
    const max = this.maxEventStreams();
    if (max > 0 && this.eventStreams >= max) return false;
    this.inFlight--;
    this.eventStreams++;
    this.wakeIfIdle();
    return true;
  }

  /** A live event stream (`toEventStream`) ended. */
  eventStreamEnded(): void {
    this.eventStreams--;
    this.wakeIfIdle();
  }

  drain(): void {
    this.draining = true;
  }

  idle(): Promise<void> {
    if (this.inFlight === 0 && this.eventStreams === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private wakeIfIdle(): void {
    // `splice` only when someone waits: it makes a list on every call, and at c=1 the count
    // reaches 0 with every request.
    if (this.inFlight === 0 && this.eventStreams === 0 && this.waiters.length > 0)
      for (const wake of this.waiters.splice(0)) wake();
  }
}
