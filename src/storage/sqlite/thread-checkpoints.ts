import type { Database } from "bun:sqlite";
import { type OpenDatabaseOptions, openDatabase } from "./open-database.ts";

/**
 * The pages the WAL may hold before a commit on one of the audit thread's connections checkpoints
 * it itself (`wal_autocheckpoint`): ~64 MiB at 4 KiB pages, what `journal_size_limit` leaves the
 * file at. At SQLite's 1000 (~4 MiB), every commit of a large body copied the WAL into the
 * database file and synced it inside the commit (a 4 MB row's: 32 ms median against 4.7, at load
 * 7 on two cores), so the thread fell behind bodies that came faster. This is the bound while the
 * thread is never idle.
 */
export const THREAD_AUTOCHECKPOINT_PAGES = 16_384;

/**
 * What the audit thread writes to the WAL (as `IdleCheckpoints` counts it) before it checkpoints
 * when idle: about SQLite's own 1000 pages, so small rows are checkpointed about as often as they
 * were (every ~25 s of one client's requests).
 */
export const IDLE_CHECKPOINT_BYTES = 4 * 1024 * 1024;

/**
 * What a commit adds to the WAL beside its rows' bytes: the pages it changed, written again whole,
 * the log's and each index's last leaf at least (measured: 4 pages for a row, 6 for 10, 17 for 100).
 */
const COMMIT_BYTES = 4 * 4096;

/**
 * A connection of the audit thread's (its audit rows', its side writes'): WAL, synchronous=NORMAL
 * (open-database.ts), and commits that leave the WAL to the thread's checkpoints up to
 * `THREAD_AUTOCHECKPOINT_PAGES`.
 */
export function openThreadDatabase(path: string, options: OpenDatabaseOptions = {}): Database {
  const db = openDatabase(path, options);
  db.run(`PRAGMA wal_autocheckpoint = ${THREAD_AUTOCHECKPOINT_PAGES}`);
  return db;
}

/**
 * The audit thread's checkpoints between its writes: it counts what its commits add to the WAL
 * (audit rows, shadow pairs, keys' last use and spend; not the event loop handle's: stored
 * responses, keys made, which only the periodic checkpoint copies),
 * and once it has no request waiting (`idle`) and `IDLE_CHECKPOINT_BYTES` were added since the
 * last, it checkpoints (`checkpoint`: PASSIVE, which never waits on a reader), so the commits
 * themselves copy nothing into the file. Beside them, the store's periodic checkpoint (every
 * 30 s) and, while the thread is never idle, the autocheckpoint's bound.
 */
export class IdleCheckpoints {
  private written = 0;

  constructor(private readonly checkpoint: () => Promise<void> | undefined) {}

  /** A batch of `bytes` (its rows as the thread got them) was committed. */
  committed(bytes: number): void {
    this.written += bytes + COMMIT_BYTES;
  }

  /** A checkpoint ran otherwise (the store's periodic one): the count starts again. */
  checkpointed(): void {
    this.written = 0;
  }

  /** The checkpoint, when one is due (its failure is the caller's). */
  idle(): Promise<void> | undefined {
    if (this.written < IDLE_CHECKPOINT_BYTES) return undefined;
    this.checkpointed();
    return this.checkpoint();
  }
}
