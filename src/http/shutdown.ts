import type { GatewayError } from "../core/gateway-error.ts";

/** A request a stop may have to end: told why once the drain deadline has passed. */
export interface StoppableRequest {
  drainEnded(reason: GatewayError): void;
}

/**
 * The requests a stop may have to end: when the drain deadline passes, each is told why (its
 * stream gets an error event, its record a 503) before the connections close. A set of requests
 * rather than one long-lived AbortSignal that every request's signal is combined with: a signal
 * combined with a long-lived one is kept alive by it, one per request.
 */
export class Shutdown {
  private readonly open = new Set<StoppableRequest>();

  /** Registers a request's end; returns its release. */
  hold(end: (reason: GatewayError) => void): () => void {
    const request: StoppableRequest = { drainEnded: end };
    this.open.add(request);
    return () => this.open.delete(request);
  }

  /**
   * As `hold`, for a request that is its own entry (the front door's request abort) and calls
   * `leave`: no closure per request.
   */
  enter(request: StoppableRequest): void {
    this.open.add(request);
  }

  leave(request: StoppableRequest): void {
    this.open.delete(request);
  }

  /** Ends every request still held. */
  endAll(reason: GatewayError): void {
    const requests = [...this.open];
    this.open.clear();
    for (const request of requests) request.drainEnded(reason);
  }
}
