import type { SQL, TransactionSQL } from "bun";
import { describeError } from "../../core/describe-error.ts";
import type { Logger } from "../../log/logger.ts";
import { sqlStateOf } from "./postgres-failure.ts";

/** The mark in `schema_migrations` that a backfill has run to its end on this database. */
export interface BackfillMark {
  readonly component: string;
  readonly version: number;
}

/**
 * One batch filled: the key of the last row it read (kept as text), and how many rows it filled
 * (wrote to: a row a writer or trigger filled meanwhile is read, not counted), for the log.
 */
export interface BackfillBatch {
  readonly after: string;
  readonly rows: number;
}

/**
 * Rows a migration left to fill after it committed, outside its lock (a migration that read every
 * row would hold its table, and every node's start, for as long).
 */
export interface Backfill {
  readonly mark: BackfillMark;
  /** Marks an older release reads for a backfill this one covers, written with its own. */
  readonly covers?: readonly BackfillMark[];
  /** What it fills, for the log. */
  readonly what: string;
  /** How many rows are left to fill after `after` (null: from the first row), for the log alone. */
  left(sql: SQL, after: string | null): Promise<number>;
  /**
   * Fills one batch of at most `rows` rows after `after` in `tx`, a short statement holding no lock
   * writers wait for; null when no row was left. It must keep what a writer wrote meanwhile.
   */
  step(tx: TransactionSQL, after: string | null, rows: number): Promise<BackfillBatch | null>;
  /** The row after `after`, as a condition on its table an operator can query: the log names it. */
  rowAfter(sql: SQL, after: string | null): Promise<string | null>;
}

/** Rows a batch reads at most; fewer while a batch of its own fails (halved, down to one). */
export const BATCH_ROWS = 500;

/** A backfill as this node's readers of its rows see it: done once they need no fallback. */
export interface BackfillState {
  readonly backfill: Backfill;
  done: boolean;
}

/** The pause after a failed batch, doubled up to the most, so a lost database is not hammered. */
const RETRY_MS = { first: 1_000, most: 30_000 };

/** What a running backfill is told: where to log, and whether the node is closing. */
export interface BackfillRun {
  readonly log: Pick<Logger, "info" | "warn" | "error">;
  readonly stopping: AbortSignal;
}

export async function backfillState(sql: SQL, backfill: Backfill): Promise<BackfillState> {
  return { backfill, done: await isMarked(sql, backfill.mark) };
}

/**
 * Runs a backfill to its end, in the background of a node that already serves: each batch its own
 * transaction that first locks the backfill's progress row, reads where the last batch (this node's
 * or another's) stopped, and moves it on with the batch, so that nodes running it at once take
 * turns, every row is filled once, and a node stopped or crashed halfway leaves the rest to the
 * next (its batch rolled back, the position with it). The last batch writes the mark. A failed
 * batch is logged and tried again, smaller if it failed of its own; closing the node ends the batch
 * under way.
 */
export async function runBackfill(sql: SQL, state: BackfillState, run: BackfillRun): Promise<void> {
  const { backfill } = state;
  const name = `${backfill.mark.component}@${backfill.mark.version}`;
  const begun = await persist(run, name, async () => {
    if (await isMarked(sql, backfill.mark)) return null;
    const from = await positionOf(sql, backfill.mark);
    // Only for the log: a count the statement_timeout cuts short holds nothing up.
    return { from, left: await backfill.left(sql, from).catch(() => null) };
  });
  if (begun === undefined) return;
  if (begun === null) {
    state.done = true;
    return;
  }
  const startedAt = performance.now();
  // A database that had no such rows (a new one) is marked in silence.
  const log = begun.left !== 0 || begun.from !== null ? run.log : { info() {}, warn: run.log.warn };
  log.info(`backfill of ${backfill.what} started`, {
    backfill: name,
    rows: begun.left,
    resumed: begun.from !== null,
  });
  let rows = 0;
  let size = BATCH_ROWS;
  // A batch failing of its own (a statement_timeout on huge rows) is tried again at half the size
  // at once, down to one row, named if even that fails; each batch that passes doubles it back.
  const smaller = async (error: unknown) => {
    if (!isBatchOwnFailure(error)) return false;
    if (size > 1) {
      const half = Math.ceil(size / 2);
      run.log.warn(`backfill ${name}: a batch of ${size} rows failed; trying ${half}`, {
        error: describeError(error),
      });
      size = half;
      return true;
    }
    // Naming the row is for the log alone: a failure to (the database lost meanwhile) names none.
    const row = await positionOf(sql, backfill.mark)
      .then((after) => backfill.rowAfter(sql, after))
      .catch(() => null);
    run.log.error(
      `backfill ${name} fails on one row alone, and stops there: the node serves it as it does the rows not reached yet; raise storage.statement_timeout, or delete the row, and it goes on`,
      { row, error: describeError(error) },
    );
    return false;
  };
  for (;;) {
    const batch = await persist(run, name, () => nextBatch(sql, backfill, size, run.stopping), smaller);
    if (batch === undefined) {
      log.info(`backfill of ${backfill.what} stopped with the node; the next start resumes it`, {
        backfill: name,
        rows,
      });
      return;
    }
    if (batch === null) break;
    rows += batch.rows;
    size = Math.min(size * 2, BATCH_ROWS);
  }
  state.done = true;
  log.info(`backfill of ${backfill.what} done`, {
    backfill: name,
    rows,
    ms: Math.round(performance.now() - startedAt),
  });
}

/**
 * One batch in its transaction; null when the backfill is done (by this batch or another node). Its
 * connection is its own, which the node's stop closes at once: a batch waiting for another node's
 * (for as long as statement_timeout lets it, without end at 0) ends there, rolled back.
 */
async function nextBatch(
  sql: SQL,
  backfill: Backfill,
  size: number,
  stopping: AbortSignal,
): Promise<BackfillBatch | null> {
  const connection = await sql.reserve({ signal: stopping });
  const end = () => void connection.close().catch(() => {});
  stopping.addEventListener("abort", end);
  // A stop between the connection's arrival and the listener: the listener is too late for it.
  if (stopping.aborted) end();
  try {
    return await batchIn(connection, backfill, size);
  } finally {
    stopping.removeEventListener("abort", end);
    if (!stopping.aborted) connection.release();
  }
}

function batchIn(sql: SQL, backfill: Backfill, size: number): Promise<BackfillBatch | null> {
  const { component, version } = backfill.mark;
  return sql.begin(async (tx) => {
    // DO NOTHING waits only for another node's first insert of the row, never for its lock.
    await tx`INSERT INTO backfill_progress (component, version) VALUES (${component}, ${version})
      ON CONFLICT (component, version) DO NOTHING`;
    const [progress]: { after: string | null }[] =
      await tx`SELECT after FROM backfill_progress WHERE component = ${component} AND version = ${version}
        FOR UPDATE`;
    if (await isMarked(tx, backfill.mark)) return null;
    const batch = await backfill.step(tx, progress?.after ?? null, size);
    if (batch === null) {
      for (const mark of [backfill.mark, ...(backfill.covers ?? [])])
        await tx`INSERT INTO schema_migrations (component, version, applied_at)
          VALUES (${mark.component}, ${mark.version}, ${Date.now()})
          ON CONFLICT (component, version) DO NOTHING`;
      return null;
    }
    await tx`UPDATE backfill_progress SET after = ${batch.after}
      WHERE component = ${component} AND version = ${version}`;
    return batch;
  });
}

/**
 * `work`'s result, tried again after each failure (logged) until it succeeds; undefined once
 * stopping. A failure `smaller` made the work smaller for is tried again at once.
 */
async function persist<T>(
  run: BackfillRun,
  name: string,
  work: () => Promise<T>,
  smaller: (error: unknown) => Promise<boolean> = async () => false,
): Promise<T | undefined> {
  let pause = RETRY_MS.first;
  while (!run.stopping.aborted) {
    try {
      return await work();
    } catch (error) {
      if (run.stopping.aborted) return undefined;
      if (await smaller(error)) continue;
      run.log.warn(`backfill ${name} failed; trying again in ${pause / 1000} s`, {
        error: describeError(error),
      });
      await pauseUnlessStopped(pause, run.stopping);
      pause = Math.min(pause * 2, RETRY_MS.most);
    }
  }
  return undefined;
}

function pauseUnlessStopped(ms: number, stopping: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      stopping.removeEventListener("abort", done);
      resolve();
    }
    stopping.addEventListener("abort", done);
  });
}

/**
 * A failure of the batch's own statement, which a smaller batch may pass: the database answered
 * (a statement_timeout, memory, a row refused), neither lost (08) nor shutting down (57P).
 */
function isBatchOwnFailure(error: unknown): boolean {
  const state = sqlStateOf(error);
  return state !== null && !/^(08|57P)/.test(state);
}

async function isMarked(sql: SQL, mark: BackfillMark): Promise<boolean> {
  const rows: unknown[] =
    await sql`SELECT 1 FROM schema_migrations WHERE component = ${mark.component} AND version = ${mark.version}`;
  return rows.length > 0;
}

async function positionOf(sql: SQL, mark: BackfillMark): Promise<string | null> {
  const [row]: { after: string | null }[] =
    await sql`SELECT after FROM backfill_progress WHERE component = ${mark.component} AND version = ${mark.version}`;
  return row?.after ?? null;
}
