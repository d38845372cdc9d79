import { pruneBacklog } from "../core/prune-backlog.ts";
import { yieldToLoop } from "../core/yield-to-loop.ts";
import type { AuditStore } from "../storage/storage.ts";

/** `audit.retention` and how pruning paces itself. Durations in milliseconds. */
export interface AuditRetentionOptions {
  /** Rows that arrived longer ago than this are deleted (config `audit.retention`, e.g. 30d). */
  retentionMs: number;
  /** How often a pruning pass runs: `prunePassEvery` of the retention (core/prune-pass-every.ts). */
  intervalMs?: number;
  /** Rows per delete transaction: each holds the write lock only briefly. */
  batchSize?: number;
  now?: () => number;
  /** A failed pass is reported here and retried at the next interval. */
  onError?: (error: unknown) => void;
}

/**
 * Keeps the audit log bounded: on a schedule, deletes rows older than the retention in small
 * batches with a yield to the event loop between them, never one giant delete that would hold
 * the write lock (and grow the WAL) for seconds. A pass goes on while full batches come back, so
 * it clears a backlog of any size (core/prune-backlog.ts).
 * Then, in batches too, the values the store interned that no row left refers to
 * (`AuditStore.sweep`): a user agent any client may send stays only as long as its rows.
 */
export class AuditRetention {
  private timer: ReturnType<typeof setInterval> | null = null;
  private running: Promise<number> | null = null;
  /** Set by `stop()`: a pass under way ends after its current batch. */
  private stopped = false;

  constructor(
    private readonly store: Pick<AuditStore, "prune" | "sweep">,
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
    this.stopped = true;
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
    const deleted = await pruneBacklog(
      (before, limit) => this.store.prune(before, limit),
      cutoff,
      batchSize,
      () => this.stopped,
    );
    // Then the values only the rows deleted referred to (a store that interns them).
    while (this.store.sweep && !this.stopped && (await this.store.sweep(batchSize)) === batchSize)
      await yieldToLoop();
    return deleted;
  }
}
