import { type After, afterTimeout } from "../core/after.ts";
import { monotonicClock } from "../core/steady-clock.ts";
import type { Logger } from "../log/logger.ts";
import type { RefusedRow } from "../storage/storage.ts";

/** Refused rows named a window: a burst (a deploy that sends a value every row) names no more. */
export const REFUSED_ROWS_NAMED = 10;

/** The window the named rows are counted in; the rows past them are one line at its end. */
export const REFUSED_ROWS_WINDOW_MS = 60_000;

/**
 * What the audit writer tells of the rows its store refused on their own (a value the database
 * cannot hold: no storage failure, the row is lost). Each is logged at error: the SPEC promises a
 * row a request, and the line is how an operator traces the one that is not there.
 */
export interface RefusedRowsLog {
  /** A batch's refusals: `rows` as the store named them, `count` in all (a store may name none). */
  refused(rows: readonly RefusedRow[], count: number): void;
  /** The audit stops: the rows counted and not said yet are said now. */
  stop(): void;
}

export interface RefusedRowsLogOptions {
  /**
   * A test's clock; by default the monotonic one, which an NTP step never moves: on the wall clock
   * a step back stretched a window by the step (no row named, the count said that much later).
   */
  now?: () => number;
  /** The count line's timer; the default never holds the process open. */
  after?: After;
}

/**
 * The first `REFUSED_ROWS_NAMED` refusals of a window are a line each (request id and what the
 * database named, never the row's bodies); the rest are counted, said in one line when the window
 * ends. A window starts at the first refusal after the last one ended. Both stores report through
 * it (storage/sqlite/audit-inserter.ts, storage/postgres/postgres-audit-insert.ts), and an
 * embedder's store that names no row has its count said.
 */
export function refusedRowsLog(logger: Logger, options: RefusedRowsLogOptions = {}): RefusedRowsLog {
  const now = options.now ?? monotonicClock;
  const after = options.after ?? afterTimeout({ unref: true });
  let windowEnds = Number.NEGATIVE_INFINITY;
  let named = 0;
  let unsaid = 0;
  let cancelTimer: (() => void) | undefined;

  const sayUnsaid = () => {
    cancelTimer = undefined;
    if (unsaid === 0) return;
    const count = unsaid;
    unsaid = 0;
    logger.error(
      `${count} more audit rows refused by the database, not written (the first ${REFUSED_ROWS_NAMED} a minute are named)`,
      { refused: count },
    );
  };

  const name = (line: string, fields: Record<string, string | number>) => {
    if (named < REFUSED_ROWS_NAMED) {
      named++;
      logger.error(line, fields);
      return;
    }
    unsaid += typeof fields.refused === "number" ? fields.refused : 1;
    cancelTimer ??= after(Math.max(0, windowEnds - now()), sayUnsaid);
  };

  return {
    refused(rows, count) {
      if (count <= 0) return;
      const at = now();
      if (at >= windowEnds) {
        windowEnds = at + REFUSED_ROWS_WINDOW_MS;
        named = 0;
      }
      for (const row of rows)
        name(`audit row refused by the database, not written: request ${row.requestId}: ${row.reason}`, {
          requestId: row.requestId,
          reason: row.reason,
        });
      const unnamed = count - rows.length;
      if (unnamed > 0)
        name(`${unnamed} audit rows refused by the store, not written (it named none)`, { refused: unnamed });
    },
    stop() {
      cancelTimer?.();
      sayUnsaid();
    },
  };
}
