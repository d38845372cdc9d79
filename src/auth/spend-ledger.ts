import type { SpendStore } from "../storage/storage.ts";
import { spendPeriodEnd } from "./limit-scope.ts";

/**
 * What a failed periodic task was doing: writing this process's spend (`write`), reading back the
 * totals every writer changed (`refresh`: this process's spend is written, only the totals held
 * are stale), or deleting the totals of ended budget periods (`prune`).
 */
export type SpendTask = "write" | "refresh" | "prune";

export interface SpendLedgerOptions {
  store: SpendStore;
  /** How often local spend is written and others' spend read back. Default 1000 ms. */
  flushMs?: number;
  /** A periodic task failed (tried again at the next flush); `close` rejects instead. */
  onError?: (error: unknown, task: SpendTask) => void;
  /** The clock that says which budget periods have ended (tests move it). */
  now?: () => number;
}

/**
 * How long after its end a budget period's total is deleted: a node whose clock is behind may
 * still count the period's last answers into it for a while.
 */
export const ENDED_PERIOD_KEPT_MS = 3_600_000;

/** Deltas written together, named so a write sent again is added once (`SpendStore.add`). */
interface SpendBatch {
  readonly id: string;
  readonly deltas: Map<string, number>;
}

/** How often the totals held are looked through for ended periods. */
const PRUNE_EVERY_MS = 3_600_000;

/** A flush that failed, and at which task. */
interface FlushFailure {
  readonly task: SpendTask;
  readonly error: unknown;
}

/**
 * Running spend per subject, readable synchronously on the request path. Totals are the
 * store's (as of the last flush) plus what this process added since; deltas are written in
 * batches, so across processes a budget can be overshot by at most one flush interval's spend.
 * A flush reads back only the totals that changed since the last one (`changedSince`: every
 * node's writes and the CLI's, none of the rest), so its cost follows the traffic, not the table.
 * A tenant's budget periods that have ended are deleted, here and in the store.
 */
export class SpendLedger {
  private base = new Map<string, number>();
  private pending = new Map<string, number>();
  /** Deltas the store took, until the totals that hold them are read back. */
  private inflight = new Map<string, number>();
  /** The batch being written, or whose write failed: sent again whole, under its id. */
  private unsettled: SpendBatch | undefined;
  /** The store's change number the totals held are read up to. */
  private cursor = 0;
  private pruneAt = 0;
  private timer: ReturnType<typeof setInterval> | null = null;
  private flushing: Promise<FlushFailure | undefined> | null = null;
  /** The write of the flush under way: all a close waits for (not its read-back, nor its prune). */
  private writing: Promise<void> | null = null;
  /** Set by `close`: a flush under way stops after its write, and its failures are no news. */
  private closed = false;
  private readonly now: () => number;
  /** A flush's tasks, in order: one that fails ends the flush, named by its task. */
  private readonly tasks: readonly (readonly [SpendTask, () => Promise<void>])[] = [
    ["write", () => this.writeInFlush()],
    ["refresh", () => this.readBack()],
    ["prune", () => this.pruneEnded()],
  ];

  constructor(private readonly options: SpendLedgerOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Loads totals and starts the periodic flush (timer is unref'd). */
  async start(): Promise<void> {
    const loaded = await this.options.store.changedSince(0);
    this.base = loaded.totals;
    this.cursor = loaded.cursor;
    // A store that cannot delete now is tried again within the hour; the gateway starts anyway.
    await this.pruneEnded().catch((error) => this.options.onError?.(error, "prune"));
    const every = this.options.flushMs ?? 1000;
    if (this.timer || every <= 0) return;
    this.timer = setInterval(() => {
      this.run().then((failure) => {
        if (failure && !this.closed) this.options.onError?.(failure.error, failure.task);
      });
    }, every);
    this.timer.unref?.();
  }

  spent(subject: string): number {
    return (
      (this.base.get(subject) ?? 0) +
      (this.inflight.get(subject) ?? 0) +
      (this.unsettled?.deltas.get(subject) ?? 0) +
      (this.pending.get(subject) ?? 0)
    );
  }

  add(subject: string, usd: number): void {
    if (usd > 0) this.pending.set(subject, (this.pending.get(subject) ?? 0) + usd);
  }

  /**
   * Writes pending deltas, then reads back what changed (which includes them and other processes').
   * An idle flush still reads: other nodes' spend, and the CLI's, arrive that way.
   */
  async flush(): Promise<void> {
    const failure = await this.run();
    if (failure) throw failure.error;
  }

  /**
   * Writes what this process holds, once the write of any flush under way has ended; reads
   * nothing back, as nothing will read the totals again (nor waits for a flush's read-back: a
   * database that stopped answering would hold the stop for the whole store-call bound). Holding
   * nothing, it asks nothing of the store: a stop while the database is down fails only when
   * spend is left unwritten. Spend added while it writes (a request ending meanwhile) is written
   * too, before it resolves.
   */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    // Its failure is no stop's: what it did not write is still held, and written below.
    await this.writing?.catch(() => {});
    do {
      await this.writeHeld();
    } while (this.pending.size > 0);
  }

  /** One flush at a time: a caller during one shares its outcome. */
  private run(): Promise<FlushFailure | undefined> {
    this.flushing ??= this.flushOnce().finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  private async flushOnce(): Promise<FlushFailure | undefined> {
    for (const [task, run] of this.tasks) {
      if (this.closed) return undefined;
      try {
        await run();
      } catch (error) {
        return { task, error };
      }
    }
    return undefined;
  }

  /** A flush's write, held where `close` can wait for it alone. */
  private writeInFlush(): Promise<void> {
    const writing = this.writeHeld();
    this.writing = writing;
    return writing.finally(() => {
      if (this.writing === writing) this.writing = null;
    });
  }

  /** Writes the batch a failed write left, then the deltas pending. */
  private async writeHeld(): Promise<void> {
    // A batch that failed goes first, as it was: its failed try may have landed after all (the
    // database never confirmed it), and under the same id the store adds it no second time.
    if (this.unsettled) await this.send(this.unsettled);
    if (this.pending.size > 0) {
      const batch = { id: crypto.randomUUID(), deltas: this.pending };
      this.pending = new Map();
      await this.send(batch);
    }
  }

  /** Reads back the totals every writer changed since the last read. */
  private async readBack(): Promise<void> {
    // Until the totals that hold them are read back, the written deltas still count as in flight.
    const written = this.inflight;
    try {
      const changed = await this.options.store.changedSince(this.cursor);
      for (const [id, usd] of changed.totals) this.base.set(id, usd);
      this.cursor = changed.cursor;
    } catch (error) {
      // Written but not read back: fold it into the totals held so it still counts (the next
      // read sets them from the store again).
      for (const [id, usd] of written) this.base.set(id, (this.base.get(id) ?? 0) + usd);
      throw error;
    } finally {
      this.inflight = new Map();
    }
  }

  /** Writes one batch; one the store fails stays unsettled (and counted) for the next flush. */
  private async send(batch: SpendBatch): Promise<void> {
    this.unsettled = batch;
    await this.options.store.add(batch.deltas, batch.id);
    this.unsettled = undefined;
    for (const [id, usd] of batch.deltas) this.inflight.set(id, (this.inflight.get(id) ?? 0) + usd);
  }

  /** Once an hour: deletes the totals of budget periods that ended over an hour ago. */
  private async pruneEnded(): Promise<void> {
    const now = this.now();
    if (now < this.pruneAt) return;
    this.pruneAt = now + PRUNE_EVERY_MS;
    const ended: string[] = [];
    for (const subject of this.base.keys()) {
      const end = spendPeriodEnd(subject);
      if (end !== undefined && end + ENDED_PERIOD_KEPT_MS <= now) ended.push(subject);
    }
    if (ended.length === 0) return;
    await this.options.store.remove(ended);
    for (const subject of ended) this.base.delete(subject);
  }
}
