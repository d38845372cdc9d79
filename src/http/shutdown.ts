import type { GatewayError } from "../core/gateway-error.ts";

/**
 * How often the open requests' clients are looked at. The client's leaving is noticed by a poll
 * rather than a listener on each request's signal: a listener's add and remove cost ~0.2 µs a
 * request, and each leaves Bun-internal handles that later young collections visit, dead or not
 * (docs/BENCHMARKS-HISTORY.md, session 13). The bound: an LLM call's generation lasts seconds, so
 * a cancel up to this late costs the upstream little; a stream is cancelled at once anyway (its
 * response body's cancel, http/sse-response.ts). A walk costs ~6–13 ns an open request (512:
 * ~3 µs a tick, 0.06 ms of CPU a second).
 */
export const CLIENT_POLL_MS = 50;

/**
 * A request a stop may have to end, and its place among the open ones (`Shutdown.enter`): the
 * list's links live on the request itself, as a deadline list's do (core/deadline-list.ts), so
 * entering makes nothing (an entry object a request before).
 */
export abstract class OpenRequest {
  /** Its neighbours while listed (older, newer). */
  older: OpenRequest | undefined = undefined;
  newer: OpenRequest | undefined = undefined;
  listed = false;

  /** A stop's drain deadline passed: told why. */
  abstract drainEnded(reason: GatewayError): void;

  /** Asked each poll while the request is open: end it if its client has left (by default none to look at). */
  clientPolled(): void {}
}

/** A request held by its end alone (`Shutdown.hold`). */
class HeldRequest extends OpenRequest {
  constructor(private readonly end: (reason: GatewayError) => void) {
    super();
  }

  drainEnded(reason: GatewayError): void {
    this.end(reason);
  }
}

/**
 * The open requests: what a stop may have to end, and whose clients a poll looks at. When the
 * drain deadline passes, each is told why (its stream gets an error event, its record a 503)
 * before the connections close. A list of requests rather than one long-lived AbortSignal that
 * every request's signal is combined with: a signal combined with a long-lived one is kept alive
 * by it, one per request.
 *
 * A doubly linked list of the requests, not a `Set`: a long-lived Set that requests are added to
 * and deleted from keeps the deleted ones alive through every young collection until the next
 * full one (JavaScriptCore, Bun 1.4.5), each with its abort and client signal (~0.7 of every
 * request at c=32, half the eden pause; docs/BENCHMARKS-HISTORY.md, session 11's young
 * collections). A request that leaves is unlinked and its own links cleared: nothing kept points
 * at it.
 *
 * The poll is one timer, armed by the first request to enter while it is idle and re-armed after
 * a tick only while any request is open: an idle gateway wakes for nothing (at most one tick
 * after its last request), and a busy one arms no timer a request.
 */
export class Shutdown {
  private newest: OpenRequest | undefined;
  private timer: Timer | undefined;
  private armed = false;
  private readonly tick = this.poll.bind(this);

  constructor(private readonly pollMs: number = CLIENT_POLL_MS) {}

  /** Whether the poll's timer is armed (it is while any request is open, and one tick after). */
  get polling(): boolean {
    return this.armed;
  }

  /** Registers a request's end; returns its release. */
  hold(end: (reason: GatewayError) => void): () => void {
    const request = new HeldRequest(end);
    this.enter(request);
    return () => this.leave(request);
  }

  /**
   * As `hold`, for a request that is an `OpenRequest` itself (the front door's request abort)
   * and leaves with `leave`: no closure and no entry per request.
   */
  enter(request: OpenRequest): void {
    request.older = this.newest;
    request.newer = undefined;
    request.listed = true;
    if (this.newest) this.newest.newer = request;
    this.newest = request;
    if (!this.armed) this.arm();
  }

  /** The request has ended (nothing when it has left already, or a stop ended it). */
  leave(request: OpenRequest): void {
    if (!request.listed) return;
    request.listed = false;
    const { older, newer } = request;
    if (older) older.newer = newer;
    if (newer) newer.older = older;
    else this.newest = older;
    request.older = undefined;
    request.newer = undefined;
  }

  /** Ends every request still held, the oldest first. */
  endAll(reason: GatewayError): void {
    const requests: OpenRequest[] = [];
    while (this.newest) {
      requests.push(this.newest);
      this.leave(this.newest);
    }
    for (let i = requests.length - 1; i >= 0; i--) requests[i]?.drainEnded(reason);
  }

  /** One timer object for the list's life, re-armed by `refresh` (no timer made per arming). */
  private arm(): void {
    this.armed = true;
    if (this.timer) this.timer.refresh();
    // Unreferenced: an open request keeps the process up by its connection, not by this poll.
    else this.timer = setTimeout(this.tick, this.pollMs).unref();
  }

  /**
   * Asks each open request to look at its client. A request that ends while asked may leave at
   * once, and so may one it ends (an older one's links are then cleared): the walk stops there,
   * and the rest are asked at the next tick.
   */
  private poll(): void {
    let request = this.newest;
    while (request) {
      const older = request.older;
      request.clientPolled();
      request = older;
    }
    // One store a tick, whichever way: a branch taken only when no request is open at the tick
    // (rare under load) is code the optimiser has not seen run, and reaching it left the optimised
    // poll (an OSR exit, InadequateCoverage: 7–42 a 10 s window at c=32).
    this.armed = this.newest !== undefined;
    if (this.armed) this.timer?.refresh();
  }
}
