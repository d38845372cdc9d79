import { type After, afterTimeout } from "../core/after.ts";
import { monotonicClock } from "../core/steady-clock.ts";
import type { Logger } from "../log/logger.ts";

/** How often rows refused at the audit queue's bound may be warned of, bursts or not. */
export const DROPPED_ROWS_LINE_MS = 30_000;

/**
 * What the audit writer tells of the rows it refuses at the queue's bound (`maxQueue` rows or
 * `maxQueueBytes`); the listener decides what is worth a line.
 */
export interface RowDrops {
  /** A row refused; `fill` is read only for a line that says it. */
  refused(fill: () => QueueFill): void;
  /** A row queued after some were refused: the queue has room again. */
  queued(): void;
}

/** What the audit queue holds, and its bounds. */
export interface QueueFill {
  readonly queued: number;
  readonly queuedBytes: number;
  readonly maxQueue: number;
  readonly maxQueueBytes: number;
  /** The queue refuses the next row, as the writer judges it (its own reading, not worked out here). */
  readonly full: boolean;
}

/** The log of refused rows, stopped with the audit: what it has not said yet is said then. */
export interface DroppedRowsLog extends RowDrops {
  stop(): void;
}

export interface DroppedRowsLogOptions {
  everyMs?: number;
  /**
   * The clock a line's `since_ms` is measured on (a test's): by default the monotonic one, which an
   * NTP step never moves (on the wall clock a step back made it negative).
   */
  now?: () => number;
  /** The line's timer; the default never holds the process open. */
  after?: After;
}

/**
 * Rows refused at the audit queue's bound, told at most a line every `everyMs`, however often the
 * queue fills and drains (a store that lags keeps it at its bound, taking rows after each batch and
 * refusing the rest): a line a row, or a burst, would bury the log when the store is down under
 * load (100,000 rows are a minute of traffic). Every refused row is in one line's `dropped`, said
 * within `everyMs` of its refusal: each line has the rows refused since the line before.
 *
 * A refusal with no line in the last `everyMs` is a warning at once: the full one (the queue and
 * its bounds) when the line before said the queue had room, or none came before, and otherwise the
 * count. The refusals after it are counted until the timer runs out; then, with rows refused since,
 * the same warning is said if the queue still refuses, and a count alone if it has taken a row
 * since or its reading shows room (drained since the last refusal, no row offered yet) (the rows of a burst that ended, which no later refusal may come to tell for hours). The
 * first row queued after a warning is one line that the queue has room again, so the last word is
 * never a warning that no longer holds. The refused path only counts while the timer runs: no clock
 * or queue read a row.
 */
export function droppedRowsLog(logger: Logger, options: DroppedRowsLogOptions = {}): DroppedRowsLog {
  const everyMs = options.everyMs ?? DROPPED_ROWS_LINE_MS;
  const now = options.now ?? monotonicClock;
  const after = options.after ?? afterTimeout({ unref: true });
  /** Cancels the running timer: a line came less than `everyMs` ago. */
  let cancelTimer: (() => void) | undefined;
  /** The last line said the queue refuses rows; a row queued is worth a line. */
  let toldFull = false;
  /**
   * Set while the last the writer told was a refusal (the queue at its bound): its reading of the
   * queue, for a line the timer says.
   */
  let stillRefusing: (() => QueueFill) | undefined;
  let stopped = false;
  /** When the last line was said; undefined before the first. */
  let lastLine: number | undefined;
  /** Refused since the last line. */
  let unsaid = 0;

  /** The line said: the count starts again, and the next waits `everyMs`. */
  const said = (at: number) => {
    lastLine = at;
    unsaid = 0;
    if (!stopped) cancelTimer = after(everyMs, timerRanOut);
  };
  const since = (at: number) => (lastLine === undefined ? {} : { since_ms: at - lastLine });

  function warn(fill: QueueFill) {
    const at = now();
    const { queued, queuedBytes, maxQueue, maxQueueBytes } = fill;
    if (toldFull) logger.warn("audit rows dropped", { dropped: unsaid, ...since(at), queued });
    else
      logger.warn("audit rows dropped: the audit queue is full", {
        dropped: unsaid,
        ...since(at),
        queued,
        queued_bytes: queuedBytes,
        max_queue: maxQueue,
        max_queue_bytes: maxQueueBytes,
        further: `rows of served requests are refused until it has room (mindgw_audit_records_total{result="dropped"}), told at most every ${Math.round(everyMs / 1000)} s`,
      });
    toldFull = true;
    said(at);
  }

  /** What was refused since the last line, said; nothing when nothing was. */
  function sayUnsaid() {
    if (unsaid === 0) return;
    // No row offered since the last refusal: the queue may refuse still, or have drained since (the
    // store back, no row offered yet), which its reading tells.
    const fill = stillRefusing?.();
    if (fill?.full) return warn(fill);
    // The queue took a row since, or has room now: a count alone.
    const at = now();
    logger.warn("audit rows dropped", { dropped: unsaid, ...since(at) });
    said(at);
  }

  function timerRanOut() {
    cancelTimer = undefined;
    sayUnsaid();
  }

  return {
    refused(fill) {
      unsaid++;
      stillRefusing = fill;
      if (cancelTimer === undefined) warn(fill());
    },
    queued() {
      stillRefusing = undefined;
      if (!toldFull) return;
      const at = now();
      logger.info("audit rows queued again", { dropped: unsaid, ...since(at) });
      toldFull = false;
      // Said without a timer: a warning may come at the next refusal if the last came long ago.
      lastLine = at;
      unsaid = 0;
    },
    stop() {
      stopped = true;
      cancelTimer?.();
      cancelTimer = undefined;
      sayUnsaid();
    },
  };
}
