import type { Database } from "bun:sqlite";

export interface WalCheckpointerOptions {
  intervalMs?: number;
  /** True when nothing is being written (e.g. the audit writer's queue is empty). */
  isIdle?: () => boolean;
  onError?: (error: unknown) => void;
}

/** SQLite's answer: `busy` 1 when a reader or writer kept the checkpoint from finishing. */
export interface CheckpointResult {
  mode: "PASSIVE" | "TRUNCATE";
  busy: number;
  log: number;
  checkpointed: number;
}

/**
 * Active WAL checkpoints. Autocheckpoint alone cannot keep the WAL small while a long reader
 * holds an old snapshot: frames after that snapshot cannot be copied back, so the WAL keeps
 * growing. A periodic PASSIVE checkpoint (never waits) copies what it can as soon as readers
 * move on, and when the gateway is idle a TRUNCATE checkpoint resets the file to zero bytes.
 * TRUNCATE runs with busy_timeout 0, so it gives up at once instead of blocking the event loop.
 */
export class WalCheckpointer {
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(
    private readonly db: Database,
    private readonly options: WalCheckpointerOptions = {},
  ) {}

  start(): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => {
      try {
        this.checkpoint();
      } catch (error) {
        this.options.onError?.(error);
      }
    }, this.options.intervalMs ?? 30_000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** `idle` (by default from `isIdle`): nothing is being written, so a TRUNCATE is worth trying. */
  checkpoint(idle = this.options.isIdle?.() ?? false): CheckpointResult {
    if (!idle) return this.run("PASSIVE");
    const timeout = this.db.query<{ timeout: number }, []>("PRAGMA busy_timeout").get()?.timeout ?? 0;
    this.db.run("PRAGMA busy_timeout = 0");
    try {
      return this.run("TRUNCATE");
    } finally {
      this.db.run(`PRAGMA busy_timeout = ${timeout}`);
    }
  }

  private run(mode: CheckpointResult["mode"]): CheckpointResult {
    const row = this.db
      .query<{ busy: number; log: number; checkpointed: number }, []>(`PRAGMA wal_checkpoint(${mode})`)
      .get();
    return { mode, busy: row?.busy ?? 0, log: row?.log ?? 0, checkpointed: row?.checkpointed ?? 0 };
  }
}
