import type { Database } from "bun:sqlite";
import { AuditInserter, type RedactBody } from "./audit-inserter.ts";
import type { AuditRecord } from "./audit-record.ts";
import { prepareAuditDatabase } from "./audit-schema.ts";

/** How the audit writer batches, bounds and recovers. Durations in milliseconds. */
export interface AuditWriterOptions {
  /**
   * The audit database, or how to open it. With a factory the writer reopens the file after a
   * storage failure (a file made writable again, a remounted disk); a handle passed in is
   * retried as is and left open on close() for its owner.
   */
  database: Database | (() => Database);
  /** `audit.flush_ms`: the most a record waits in memory; also what `kill -9` can lose. */
  flushMs?: number;
  /** A batch this large is written at once, without waiting for the flush window. */
  batchSize?: number;
  /** Records held while storage is down; past it new records are refused and counted. */
  maxQueue?: number;
  /** First retry delay after a storage failure; doubles up to `maxRetryMs`. */
  retryMs?: number;
  maxRetryMs?: number;
  /** `audit.bodies`: store request/response bodies, always through `redact`. */
  bodies?: boolean;
  redact?: RedactBody;
  /** Called when the storage fails (false, with the error) and when it recovers (true). */
  onHealthChange?: (healthy: boolean, error: unknown) => void;
}

export interface AuditWriterStats {
  healthy: boolean;
  queued: number;
  written: number;
  /** Records SQLite refused on their own (never a storage failure). */
  rejected: number;
  /** Records refused because the queue was full or the writer closed. */
  dropped: number;
}

interface Connection {
  db: Database;
  inserter: AuditInserter;
}

/** Thrown to roll the probe's transaction back. */
class ProbeDone extends Error {}

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Takes audit records off the request path: `write()` only queues; batches are written in one
 * transaction each, every `flushMs` or at `batchSize` rows. On a storage failure the batch is
 * kept, `healthy()` turns false (the HTTP layer then refuses requests with 503
 * `audit_unavailable` unless `audit.fail_open`), and writing is retried until it succeeds.
 * Queue policy: the records of requests already served are kept; once `maxQueue` is reached,
 * newer records are refused and counted in `dropped`.
 */
export class AuditWriter {
  private queue: AuditRecord[] = [];
  private conn: Connection | null = null;
  private isHealthy = true;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private flushing: Promise<void> | null = null;
  private retryDelay: number;
  private closed = false;
  private readonly counts = { written: 0, rejected: 0, dropped: 0 };
  private readonly flushMs: number;
  private readonly batchSize: number;
  private readonly maxQueue: number;

  constructor(private readonly options: AuditWriterOptions) {
    this.flushMs = options.flushMs ?? 100;
    this.batchSize = options.batchSize ?? 500;
    this.maxQueue = options.maxQueue ?? 100_000;
    this.retryDelay = options.retryMs ?? 250;
    // Open now, so a database that cannot be opened shows as unhealthy before the first request.
    try {
      this.connection();
    } catch (error) {
      this.failed(error);
    }
  }

  /** Queues one record. Never blocks on storage and never throws. */
  write(record: AuditRecord): void {
    if (this.closed || this.queue.length >= this.maxQueue) {
      this.counts.dropped++;
      return;
    }
    this.queue.push(record);
    if (!this.isHealthy) return; // the retry timer owns the schedule
    if (this.queue.length === this.batchSize) this.schedule(0);
    else if (this.timer === null) this.schedule(this.flushMs);
  }

  healthy(): boolean {
    return this.isHealthy;
  }

  stats(): AuditWriterStats {
    return { healthy: this.isHealthy, queued: this.queue.length, ...this.counts };
  }

  /** Writes everything queued; resolves when the queue is empty or storage has failed. */
  flush(): Promise<void> {
    this.flushing ??= this.drain().finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  /**
   * Graceful stop: flush everything (one more attempt if storage is failing), checkpoint the
   * WAL with TRUNCATE and close the handle if the writer opened it. Records still unwritten
   * then are reported as `queued` in the returned stats.
   */
  async close(): Promise<AuditWriterStats> {
    if (this.closed) return this.stats();
    this.clearTimer();
    await this.flush();
    if (this.queue.length > 0) await this.flush();
    this.closed = true;
    this.clearTimer();
    const conn = this.conn;
    if (conn !== null) {
      try {
        conn.db.run("PRAGMA wal_checkpoint(TRUNCATE)");
      } catch {
        // The rows are committed in the WAL already; a failed checkpoint loses nothing.
      }
      this.disconnect();
    }
    return this.stats();
  }

  private async drain(): Promise<void> {
    this.clearTimer();
    if (this.queue.length === 0 && !this.isHealthy) return this.probe();
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.batchSize);
      try {
        const result = this.connection().inserter.insertBatch(batch);
        this.counts.written += result.written;
        this.counts.rejected += result.rejected;
      } catch (error) {
        this.queue = batch.concat(this.queue);
        return this.failed(error);
      }
      this.recovered();
      if (this.queue.length > 0) await yieldToLoop();
    }
  }

  /** With nothing queued, a rolled-back write proves the storage writable again. */
  private probe(): void {
    try {
      const { db } = this.connection();
      db.transaction(() => {
        db.run("INSERT INTO audit_strings (value) VALUES ('probe:' || random())");
        throw new ProbeDone();
      })();
    } catch (error) {
      if (!(error instanceof ProbeDone)) {
        this.failed(error);
        return;
      }
    }
    this.recovered();
  }

  private connection(): Connection {
    if (this.conn !== null) return this.conn;
    const source = this.options.database;
    let db: Database | null = null;
    try {
      db = typeof source === "function" ? source() : source;
      prepareAuditDatabase(db);
      const redact = this.options.bodies ? (this.options.redact ?? ((body: string) => body)) : null;
      this.conn = { db, inserter: new AuditInserter(db, redact) };
      return this.conn;
    } catch (error) {
      if (db !== null && typeof source === "function") db.close();
      throw error;
    }
  }

  private disconnect(): void {
    const conn = this.conn;
    this.conn = null;
    if (conn === null) return;
    conn.inserter.finalize();
    if (typeof this.options.database === "function") conn.db.close();
  }

  private failed(error: unknown): void {
    // Reconnect on the next attempt: a handle opened read-only stays read-only.
    this.disconnect();
    if (this.isHealthy) {
      this.isHealthy = false;
      this.options.onHealthChange?.(false, error);
    }
    if (!this.closed) {
      this.schedule(this.retryDelay);
      this.retryDelay = Math.min(this.retryDelay * 2, this.options.maxRetryMs ?? 5_000);
    }
  }

  private recovered(): void {
    this.retryDelay = this.options.retryMs ?? 250;
    if (this.isHealthy) return;
    this.isHealthy = true;
    this.options.onHealthChange?.(true, null);
  }

  private schedule(delay: number): void {
    this.clearTimer();
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, delay);
    // A forgotten writer must not keep the process alive; shutdown calls close().
    this.timer.unref();
  }

  private clearTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}
