import type { GatewayError } from "../core/gateway-error.ts";

/**
 * The requests a stop may have to end: when the drain deadline passes, each is told why (its
 * stream gets an error event, its record a 503) before the connections close. A set of
 * per-request callbacks rather than one long-lived AbortSignal that every request's signal is
 * combined with: a signal combined with a long-lived one is kept alive by it, one per request.
 */
export class Shutdown {
  private readonly open = new Set<(reason: GatewayError) => void>();

  /** Registers a request; returns its release. */
  hold(end: (reason: GatewayError) => void): () => void {
    this.open.add(end);
    return () => this.open.delete(end);
  }

  /** As `hold`, without a release closure: the caller keeps `end` and calls `leave(end)`. */
  enter(end: (reason: GatewayError) => void): void {
    this.open.add(end);
  }

  leave(end: (reason: GatewayError) => void): void {
    this.open.delete(end);
  }

  /** Ends every request still held. */
  endAll(reason: GatewayError): void {
    const ends = [...this.open];
    this.open.clear();
    for (const end of ends) end(reason);
  }
}
