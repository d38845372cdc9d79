import type { GatewayError } from "../core/gateway-error.ts";

/** A request a stop may have to end: told why once the drain deadline has passed. */
export interface StoppableRequest {
  drainEnded(reason: GatewayError): void;
}

/** A request's place among the open ones (`Shutdown.enter`); `leave` takes it out. */
export interface ShutdownEntry {
  readonly request: StoppableRequest;
  older: ShutdownEntry | undefined;
  newer: ShutdownEntry | undefined;
  listed: boolean;
}

/**
 * The requests a stop may have to end: when the drain deadline passes, each is told why (its
 * stream gets an error event, its record a 503) before the connections close. A list of requests
 * rather than one long-lived AbortSignal that every request's signal is combined with: a signal
 * combined with a long-lived one is kept alive by it, one per request.
 *
 * A doubly linked list of entries, not a `Set`: a long-lived Set that requests are added to and
 * deleted from keeps the deleted ones alive through every young collection until the next full
 * one (JavaScriptCore, Bun 1.4.5), each with its abort and client signal (~0.7 of every request
 * at c=32, half the eden pause; docs/BENCHMARKS-HISTORY.md, session 11's young collections). An
 * entry that leaves is unlinked and its own links cleared: nothing kept points at it.
 */
export class Shutdown {
  private newest: ShutdownEntry | undefined;

  /** Registers a request's end; returns its release. */
  hold(end: (reason: GatewayError) => void): () => void {
    const entry = this.enter({ drainEnded: end });
    return () => this.leave(entry);
  }

  /**
   * As `hold`, for a request that is its own entry's request (the front door's request abort)
   * and keeps the entry for `leave`: no closure per request.
   */
  enter(request: StoppableRequest): ShutdownEntry {
    const entry: ShutdownEntry = { request, older: this.newest, newer: undefined, listed: true };
    if (this.newest) this.newest.newer = entry;
    this.newest = entry;
    return entry;
  }

  /** The request has ended (nothing when it has left already, or a stop ended it). */
  leave(entry: ShutdownEntry): void {
    if (!entry.listed) return;
    entry.listed = false;
    const { older, newer } = entry;
    if (older) older.newer = newer;
    if (newer) newer.older = older;
    else this.newest = older;
    entry.older = undefined;
    entry.newer = undefined;
  }

  /** Ends every request still held, the oldest first. */
  endAll(reason: GatewayError): void {
    const requests: StoppableRequest[] = [];
    while (this.newest) {
      requests.push(this.newest.request);
      this.leave(this.newest);
    }
    for (let i = requests.length - 1; i >= 0; i--) requests[i]?.drainEnded(reason);
  }
}
