import { CallCancel } from "../../providers/http/call-cancel.ts";

/**
 * One tunnelled call's cancel and the bytes it may still send, in one object a call: cancelled by
 * a cancel frame, a lost connection or a forced stop. It is the call's cancel hook for the lean
 * client (`init.cancel`), so a call makes no `AbortController` and adds no listener. The gateway
 * grants more credit as its client reads; at zero the worker stops reading its upstream, which
 * pushes back through TCP.
 */
export class StreamCredit extends CallCancel {
  private waiter: (() => void) | undefined;
  /**
   * Cut by the gateway's `cancel` frame and counted as such: its slot is free at the gateway, so
   * the session counts it apart from `--concurrency` until it has unwound (worker-session.ts).
   */
  freed = false;

  constructor(
    /** The call's request id, as a number (the session's key for it). */
    readonly key: number,
    private available: number,
  ) {
    super();
  }

  get hasCredit(): boolean {
    return this.available > 0;
  }

  /** Resolves once there is credit, or when the call is cancelled. */
  ready(): Promise<void> {
    if (this.available > 0 || this.cancelled) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }

  /** A chunk may overdraw by its own size: credit gates the next read, not this send. */
  take(bytes: number): void {
    this.available -= bytes;
  }

  grant(bytes: number): void {
    this.available += bytes;
    if (this.available > 0) this.wake();
  }

  override cancel(reason?: unknown): void {
    super.cancel(reason);
    this.wake();
  }

  private wake(): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }
}
