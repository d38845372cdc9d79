/**
 * Readiness and draining. After `drain()` the gateway is not ready, takes no new requests,
 * and `idle()` resolves once every request in flight (streams included) has finished.
 */
export class Lifecycle {
  private inFlight = 0;
  private draining = false;
  private waiters: (() => void)[] = [];

  get isDraining(): boolean {
    return this.draining;
  }

  get active(): number {
    return this.inFlight;
  }

  /** Counts a request in; returns false when draining (the caller answers 503). */
  enter(): boolean {
    if (this.draining) return false;
    this.inFlight++;
    return true;
  }

  leave(): void {
    this.inFlight--;
    if (this.inFlight === 0) for (const wake of this.waiters.splice(0)) wake();
  }

  drain(): void {
    this.draining = true;
  }

  idle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}
