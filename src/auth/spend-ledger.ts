import type { SpendStore } from "../storage/storage.ts";

export interface SpendLedgerOptions {
  store: SpendStore;
  /** How often local spend is written and others' spend read back. Default 1000 ms. */
  flushMs?: number;
  onError?: (error: unknown) => void;
}

/**
 * Running spend per subject, readable synchronously on the request path. Totals are the
 * store's (as of the last flush) plus what this process added since; deltas are written in
 * batches, so across processes a budget can be overshot by at most one flush interval's spend.
 */
export class SpendLedger {
  private base = new Map<string, number>();
  private pending = new Map<string, number>();
  private inflight = new Map<string, number>();
  private timer: ReturnType<typeof setInterval> | null = null;
  private flushing: Promise<void> | null = null;

  constructor(private readonly options: SpendLedgerOptions) {}

  /** Loads totals and starts the periodic flush (timer is unref'd). */
  async start(): Promise<void> {
    this.base = await this.options.store.totals();
    const every = this.options.flushMs ?? 1000;
    if (this.timer || every <= 0) return;
    this.timer = setInterval(() => {
      this.flush().catch(this.options.onError ?? (() => {}));
    }, every);
    this.timer.unref?.();
  }

  spent(subject: string): number {
    return (
      (this.base.get(subject) ?? 0) + (this.inflight.get(subject) ?? 0) + (this.pending.get(subject) ?? 0)
    );
  }

  add(subject: string, usd: number): void {
    if (usd > 0) this.pending.set(subject, (this.pending.get(subject) ?? 0) + usd);
  }

  /** `to` takes over what `from` has spent (a key's rotation); written with the next flush. */
  carry(from: string, to: string): void {
    this.add(to, this.spent(from));
  }

  /** Writes pending deltas, then reloads totals (which now include them and other processes'). */
  flush(): Promise<void> {
    this.flushing ??= this.write().finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flushing;
    await this.flush();
  }

  private async write(): Promise<void> {
    this.inflight = this.pending;
    this.pending = new Map();
    try {
      if (this.inflight.size > 0) await this.options.store.add(this.inflight);
    } catch (error) {
      // Keep the deltas for the next attempt rather than lose spend.
      for (const [id, usd] of this.inflight) this.add(id, usd);
      this.inflight = new Map();
      throw error;
    }
    const written = this.inflight;
    this.inflight = new Map();
    try {
      this.base = await this.options.store.totals();
    } catch (error) {
      // Written but not re-read: fold it into the stale totals so it still counts.
      for (const [id, usd] of written) this.base.set(id, (this.base.get(id) ?? 0) + usd);
      throw error;
    }
  }
}
