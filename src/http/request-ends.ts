import { onceATurn } from "../core/once-a-turn.ts";

/** A request whose end is known, waiting to be reported (the request ledger). */
export interface EndedRequest {
  /** Builds its record and tells the observer: audit row, metrics, access line, traces, events. */
  report(): void;
}

/**
 * Where ended requests wait to be reported: until the turn's responses are written. Bun writes a
 * handler's response as its promise settles and runs `setImmediate` callbacks after that, before
 * it polls for more I/O. So a request's end (its audit row, metrics, access line, traces and live
 * event) leaves the client's wait, runs once a turn for all the turn's requests, and has run
 * before any later request is read: a `/metrics` scrape sent after an answer counts it.
 * A stop calls `flush()` before the audit writer closes, so no served request's row is lost.
 */
export class RequestEnds {
  private readonly queue: EndedRequest[] = [];
  /**
   * The turn's end pass (core/once-a-turn.ts), shared with whatever else runs once a turn: what a
   * report hands on for the turn's end (a traced request's spans) runs in this same pass.
   */
  private readonly schedule = onceATurn(() => this.flush());

  /** `failed` hears an observer's error: one request's end must not keep the others from theirs. */
  constructor(private readonly failed: (error: unknown) => void) {}

  add(request: EndedRequest): void {
    // Armed by the first end of a turn only: an end queued while they are reported joins the
    // pass's loop below, not another pass.
    if (this.queue.push(request) === 1) this.schedule();
  }

  /** The failure said; a `failed` that throws too (a logger that does) must not end the pass. */
  private tell(error: unknown): void {
    try {
      this.failed(error);
    } catch {
      // Nothing is left to tell it to: the other ends are reported all the same.
    }
  }

  /** Reports every queued end now. */
  flush(): void {
    const queue = this.queue;
    try {
      // An end queued while these are reported is reported in this same pass.
      for (let i = 0; i < queue.length; i++) {
        try {
          queue[i]?.report();
        } catch (error) {
          this.tell(error);
        }
      }
    } finally {
      queue.length = 0;
    }
  }
}
