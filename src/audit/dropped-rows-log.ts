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
}

export interface DroppedRowsLogOptions {
  everyMs?: number;
  now?: () => number;
  /** Runs `then` once `ms` have passed; never holds the process open. */
  after?: (ms: number, then: () => void) => void;
}

const unrefTimeout = (ms: number, then: () => void) => void setTimeout(then, ms).unref();

/**
 * Rows refused at the audit queue's bound, told at most a warning every `everyMs`, however often
 * the queue fills and drains (a store that lags keeps it at its bound, taking rows after each batch
 * and refusing the rest): a line a row, or a burst, would bury the log when the store is down under
 * load (100,000 rows are a minute of traffic). The warning is the full one (the queue and its
 * bounds) when the line before said the queue had room, or none came before, and otherwise the
 * count; each has the rows refused since the line before. The first row queued after a warning is
 * one line that the queue has room again, so the last word is never a warning that no longer holds.
 * The refused path only counts until a warning is due: the clock's timer says when, not a read a row.
 */
export function droppedRowsLog(logger: Logger, options: DroppedRowsLogOptions = {}): RowDrops {
  const everyMs = options.everyMs ?? DROPPED_ROWS_LINE_MS;
  const now = options.now ?? Date.now;
  const after = options.after ?? unrefTimeout;
  let warningDue = true;
  /** The last line said the queue refuses rows; a row queued is worth a line. */
  let toldFull = false;
  let lastWarning = 0;
  /** Refused since the last line. */
  let unsaid = 0;
  return {
    refused(fill) {
      unsaid++;
      if (!warningDue) return;
      const at = now();
      const { queued, queuedBytes, maxQueue, maxQueueBytes } = fill();
      if (toldFull)
        logger.warn("audit rows dropped", { dropped: unsaid, since_ms: at - lastWarning, queued });
      else
        logger.warn("audit rows dropped: the audit queue is full", {
          dropped: unsaid,
          queued,
          queued_bytes: queuedBytes,
          max_queue: maxQueue,
          max_queue_bytes: maxQueueBytes,
          further: `rows of served requests are refused until it has room (mindgw_audit_records_total{result="dropped"}), told at most every ${Math.round(everyMs / 1000)} s`,
        });
      toldFull = true;
      lastWarning = at;
      unsaid = 0;
      warningDue = false;
      after(everyMs, () => {
        warningDue = true;
      });
    },
    queued() {
      if (!toldFull) return;
      logger.info("audit rows queued again", { dropped: unsaid, since_ms: now() - lastWarning });
      toldFull = false;
      unsaid = 0;
    },
  };
}
