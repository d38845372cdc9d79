/**
 * Bytes this worker may still send on one stream. The gateway grants more as its client
 * reads; at zero the worker stops reading its upstream, which pushes back through TCP.
 */
export class StreamCredit {
  private waiter: (() => void) | undefined;

  constructor(private available: number) {}

  get hasCredit(): boolean {
    return this.available > 0;
  }

  /** Resolves once there is credit, or when `signal` aborts. */
  ready(signal: AbortSignal): Promise<void> {
    if (this.available > 0 || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        signal.removeEventListener("abort", wake);
        this.waiter = undefined;
        resolve();
      };
      this.waiter = wake;
      signal.addEventListener("abort", wake, { once: true });
    });
  }

  /** A chunk may overdraw by its own size: credit gates the next read, not this send. */
  take(bytes: number): void {
    this.available -= bytes;
  }

  grant(bytes: number): void {
    this.available += bytes;
    if (this.available > 0) this.waiter?.();
  }
}
