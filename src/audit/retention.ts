import type { AuditStore } from "../storage/storage.ts";

/** `audit.retention` and how pruning paces itself. Durations in milliseconds. */
export interface AuditRetentionOptions {
  /** Rows that arrived longer ago than this are deleted (config `audit.retention`, e.g. 30d). */
  retentionMs: number;
  /** How often a pruning pass runs. */
  intervalMs?: number;
  /** Rows per delete transaction: each holds the write lock only briefly. */
  batchSize?: number;
  /** A pass stops after this many batches; a backlog is worked off over later passes. */
  maxBatchesPerRun?: number;
  now?: () => number;
  /** A failed pass is reported here and retried at the next interval. */
  onError?: (error: unknown) => void;
}

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Keeps the audit log bounded: on a schedule, deletes rows older than the retention in small
 * batches with a yield to the event loop between them, never one giant delete that would hold
 * the write lock (and grow the WAL) for seconds.
 */
export class AuditRetention {
  private timer: ReturnType<typeof setInterval> | null = null;
  private running: Promise<number> | null = null;

  constructor(
    private readonly store: Pick<AuditStore, "prune">,
    private readonly options: AuditRetentionOptions,
  ) {}

  start(): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => {
      this.runOnce().catch((error: unknown) => this.options.onError?.(error));
    }, this.options.intervalMs ?? 60_000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** One pruning pass; returns the rows deleted. Overlapping calls share one pass. */
  runOnce(): Promise<number> {
    this.running ??= this.prune().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async prune(): Promise<number> {
    const batchSize = this.options.batchSize ?? 1000;
    const cutoff = (this.options.now ?? Date.now)() - this.options.retentionMs;
    let deleted = 0;
    for (let batch = 0; batch < (this.options.maxBatchesPerRun ?? 100); batch++) {
      const n = await this.store.prune(cutoff, batchSize);
      deleted += n;
      if (n < batchSize) break;
      await yieldToLoop();
    }
    return deleted;
  }
}
