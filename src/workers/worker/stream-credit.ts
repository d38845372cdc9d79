/**
 * One tunnelled call's abort and the bytes it may still send, in one object a call: aborted by a
 * cancel frame, a lost connection or a forced stop. The gateway grants more credit as its client
 * reads; at zero the worker stops reading its upstream, which pushes back through TCP.
 */
export class StreamCredit extends AbortController {
  private waiter: (() => void) | undefined;

  constructor(private available: number) {
    super();
  }

  get hasCredit(): boolean {
    return this.available > 0;
  }

  /** Resolves once there is credit, or when the call is aborted. */
  ready(): Promise<void> {
    const signal = this.signal;
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
