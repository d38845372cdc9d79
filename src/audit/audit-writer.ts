import { LATE, resultBy, settledBy } from "../core/result-by.ts";
import { yieldToLoop } from "../core/yield-to-loop.ts";
import type { AuditRecord } from "./audit-record.ts";
import { ROW_LINE } from "./audit-row-layout.ts";
import {
  type AuditWriterOptions,
  DEFAULT_MAX_QUEUE_BYTES,
  STORE_CALL_LEAST_MS,
} from "./audit-writer-options.ts";
import type { AuditWriterStats, ClosedAuditWriter } from "./audit-writer-stats.ts";
import type { QueueFill } from "./dropped-rows-log.ts";
import { type PendingRows, pendingRowsFor } from "./pending-rows.ts";
import { QueuedBodies } from "./queued-bodies.ts";

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The least time a stop gives each write it starts, past `until` if need be: a stop whose drain
 * took all its time still writes to healthy storage, and a retry started just before `until` is
 * not cut off in the middle (a batch takes milliseconds). The stop ends by `until` plus this.
 */
const LEAST_WRITE_MS = 2_000;

/**
 * Takes audit records off the request path: `write()` only queues; batches are written in one
 * transaction each, every `flushMs` or at `batchSize` rows. On a storage failure the batch is
 * kept, `healthy()` turns false (the HTTP layer then refuses requests with 503
 * `audit_unavailable` unless `audit.fail_open`), and writing is retried until it succeeds.
 * Queue policy: the records of requests already served are kept; once `maxQueue` rows or
 * `maxQueueBytes` are reached, newer records are refused and counted in `dropped`. Before that, a
 * row whose bodies do not fit in `maxQueueBytes` is queued without them (`BODY_NOT_KEPT`), counted
 * in `bodiesDropped`: the row is the promise, its bodies an option the memory must not pay for
 * without bound while the store writes them slower than they come.
 */
export class AuditWriter {
  /**
   * Records waiting for their batch: their text's bytes when the store takes text
   * (`AuditStore.insertEncoded`: encoded-rows.ts), the objects otherwise. A batch waits up to
   * `flushMs` (~600 records at c=1), and every main-heap collection meanwhile would visit each
   * waiting object's fields, or mark and promote each waiting string.
   */
  private queue: PendingRows;
  /**
   * Rows at the queue's head from a write given up on while it ran (`gaveUp`): the store may yet
   * take them, and they are written again.
   */
  private maybe = 0;
  private readonly storeCallMs: number;
  private isHealthy = true;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private flushing: Promise<void> | null = null;
  /** Set by `flush()`: the pass runs until the queue is empty, not only through what was due. */
  private wanted = false;
  private readonly starting: Promise<void>;
  /** `starting` has settled (the first drain waited for it). */
  private started = false;
  private retryDelay: number;
  private closing: Promise<ClosedAuditWriter> | null = null;
  /** Set by `close()`: its own loop retries, no timer does. */
  private stopping = false;
  private closed = false;
  private readonly counts = { written: 0, rejected: 0, dropped: 0 };
  /** What a queued row's bodies are: kept, redacted, or `BODY_NOT_KEPT` when they do not fit. */
  private readonly bodies: QueuedBodies;
  /** The last row was refused at the bound: the next one queued is told to `rowDrops`. */
  private refusing = false;
  private readonly flushMs: number;
  private readonly batchSize: number;
  private readonly maxQueue: number;
  /** `audit.max_queue_bytes` in force: a reload changes it (`bound`). */
  private maxQueueBytes: number;

  constructor(private readonly options: AuditWriterOptions) {
    this.flushMs = options.flushMs ?? 100;
    this.batchSize = options.batchSize ?? 500;
    this.maxQueue = options.maxQueue ?? 100_000;
    this.maxQueueBytes = options.maxQueueBytes ?? DEFAULT_MAX_QUEUE_BYTES;
    this.retryDelay = options.retryMs ?? 250;
    this.storeCallMs = options.storeCallMs ?? Math.max(STORE_CALL_LEAST_MS, 10 * this.flushMs);
    this.queue = pendingRowsFor(options.store, this.batchSize, options.lines);
    this.bodies = new QueuedBodies(options);
    // Probe now, so storage that cannot be written shows as unhealthy before the first request.
    this.starting = this.probe();
  }

  /** Queues one record. Never blocks on storage and never throws. */
  write(record: AuditRecord): void {
    const lines = this.options.lines;
    if (this.closed || this.full()) {
      lines?.rowLine(record, false);
      this.counts.dropped++;
      if (!this.closed) {
        this.refusing = true;
        this.options.rowDrops?.refused(this.queueFill);
      }
      return;
    }
    if (this.refusing) {
      this.refusing = false;
      this.options.rowDrops?.queued();
    }
    // While storage fails the loop writes the line: an outage must not hold lines back with rows.
    this.queue.push(
      this.bodies.of(record, this.queue.bytes, this.maxQueueBytes),
      lines === undefined ? ROW_LINE.NONE : lines.rowLine(record, this.isHealthy),
    );
    if (!this.isHealthy) return; // the retry timer owns the schedule
    if (this.queue.waiting === this.batchSize) this.schedule(0);
    else if (this.timer === null) this.schedule(this.flushMs);
  }

  /** The queue is at its bound, in rows or in bytes: the next row is refused. */
  private full(): boolean {
    return this.queue.held >= this.maxQueue || this.queue.bytes >= this.maxQueueBytes;
  }

  /** What `rowDrops` reads of a refusal, only for a line that says it. */
  private readonly queueFill = (): QueueFill => ({
    queued: this.queue.held,
    queuedBytes: this.queue.bytes,
    maxQueue: this.maxQueue,
    maxQueueBytes: this.maxQueueBytes,
    full: this.full(),
  });

  healthy(): boolean {
    return this.isHealthy;
  }

  /**
   * `audit.max_queue_bytes` changed by a reload: the rows that come from now on are held to it. A
   * queue already past a lowered bound keeps what it holds; rows are refused until it drains below.
   */
  bound(maxQueueBytes: number): void {
    this.maxQueueBytes = maxQueueBytes;
  }

  stats(): AuditWriterStats {
    return {
      healthy: this.isHealthy,
      queued: this.queue.held,
      queuedBytes: this.queue.bytes,
      ...this.counts,
      bodiesDropped: this.bodies.dropped,
    };
  }

  /** Writes everything queued; resolves when the queue is empty or storage has failed. */
  async flush(): Promise<void> {
    this.wanted = true;
    await this.pass();
    // Joined a timed pass that had already left the records behind it to their own timer.
    while (this.wanted && this.isHealthy && this.queue.waiting > 0) await this.pass();
  }

  /** One drain at a time; a caller while one runs waits for that one. */
  private pass(): Promise<void> {
    this.flushing ??= this.drain().finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  /**
   * Graceful stop: writes everything queued. While the storage fails, tries again with the
   * writer's backoff until `until` (a `performance.now()` time): a disk made writable or a database
   * back within the stop's time still gets every row. A write still running at `until` (a hung
   * query; each write gets at least `LEAST_WRITE_MS`) is not waited for: its rows are handed
   * back with the rest, counted in `maybeWritten`.
   * Without `until`, one attempt, waited for. What is left is handed back (`unwritten`), never
   * dropped in silence: two attempts at once, then nothing, lost every row queued through an
   * outage. Later writes are refused and counted. The store stays open for its owner
   * (`Storage.close`).
   */
  close(until?: number): Promise<ClosedAuditWriter> {
    this.closing ??= this.shut(until);
    return this.closing;
  }

  private async shut(until: number | undefined): Promise<ClosedAuditWriter> {
    this.stopping = true;
    this.clearTimer();
    // Each attempt against the stop's deadline, but never less than LEAST_WRITE_MS.
    const inTime = (work: Promise<void>) =>
      settledBy(work, until === undefined ? undefined : Math.max(until, performance.now() + LEAST_WRITE_MS));
    let answered = await inTime(this.flush());
    let delay = this.options.retryMs ?? 250;
    for (let left = (until ?? 0) - performance.now(); answered && this.queue.waiting > 0 && left > 0; ) {
      await sleep(Math.min(delay, left));
      delay = Math.min(delay * 2, this.options.maxRetryMs ?? 5_000);
      answered = await inTime(this.flush());
      left = (until ?? 0) - performance.now();
    }
    this.closed = true;
    this.clearTimer();
    if (answered && this.flushing !== null) answered = await inTime(this.flushing);
    const { records, inFlight } = this.queue.takeAll();
    const maybeWritten = Math.min(records.length, Math.max(inFlight, this.maybe));
    return { ...this.stats(), unwritten: records, maybeWritten };
  }

  private async drain(): Promise<void> {
    // Awaited once: every later drain resumed from it too, with its undefined, where the batches'
    // writes resume with their results, and the optimised drain exited at its entry (BadType,
    // ~100 times a process under load) and was compiled again.
    if (!this.started) {
      await this.starting;
      this.started = true;
    }
    this.clearTimer();
    if (this.queue.waiting === 0 && !this.isHealthy) return this.probe();
    while (this.queue.waiting > 0) {
      try {
        const started = performance.now();
        const result = await resultBy(this.queue.write(this.batchSize), started + this.storeCallMs);
        if (result === LATE) return this.failed(this.gaveUp());
        this.maybe = Math.max(0, this.maybe - result.rows);
        this.options.onBatch?.(result.rows, performance.now() - started);
        this.counts.written += result.written;
        this.counts.rejected += result.rejected;
        if (result.rejected > 0) this.options.refusedRows?.refused(result.refused ?? [], result.rejected);
      } catch (error) {
        // The batch stays at the queue's head (PendingRows.write), to be retried as it was.
        return this.failed(error);
      }
      this.recovered();
      // Records queued while this batch was written have a timer of their own (write() armed
      // it at the first of them), which keeps each within flush_ms: they go then, in one batch,
      // rather than in a chain of small inserts right behind this one, each a round trip to the
      // audit thread that wakes both threads (two or three per flush at c=1). Not when a whole
      // batch is waiting: left to the timer, the writer would take one batch a flush window
      // (5,000 rows a second at the defaults), and under more traffic the queue would grow
      // until `maxQueue` refused rows, every row meanwhile held and visited by each collection.
      if (this.timer !== null && !this.wanted && this.queue.waiting < this.batchSize) return;
      if (this.queue.waiting > 0) await yieldToLoop();
    }
    this.wanted = false;
  }

  /** With nothing queued, a rolled-back write proves the storage writable again. */
  private async probe(): Promise<void> {
    try {
      const answered = await resultBy(this.options.store.probe(), performance.now() + this.storeCallMs);
      if (answered === LATE)
        return this.failed(
          new Error(`the audit store did not answer its probe within ${this.storeCallMs} ms`),
        );
    } catch (error) {
      return this.failed(error);
    }
    this.recovered();
  }

  /**
   * The write under way did not answer in its time: a failure, retried as a throw is. Its rows
   * go back to the queue's head, in a queue of their own (the old one ignores whatever that write
   * does later), with every row behind them; the store may yet take them, so they may be written
   * twice (counted in `maybe`, as a stop counts them).
   */
  private gaveUp(): Error {
    const { records, inFlight } = this.queue.takeAll();
    this.queue = pendingRowsFor(this.options.store, this.batchSize, this.options.lines);
    for (const record of records) this.queue.push(record);
    this.maybe = Math.max(this.maybe, inFlight);
    return new Error(
      `the audit store did not answer a write of ${inFlight} rows within ${this.storeCallMs} ms: they are written again, and may be twice`,
    );
  }

  private failed(error: unknown): void {
    if (this.isHealthy) {
      this.isHealthy = false;
      this.options.onHealthChange?.(false, error);
    }
    if (!this.stopping) {
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
    this.timer = setTimeout(this.timed, delay);
    // A forgotten writer must not keep the process alive; shutdown calls close().
    this.timer.unref();
  }

  /** The timer's callback, made once per writer (not a closure per flush window). */
  private readonly timed = (): void => {
    this.timer = null;
    void this.pass();
  };

  private clearTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}
