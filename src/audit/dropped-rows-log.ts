import type { Logger } from "../log/logger.ts";

/** How often rows refused at the audit queue's bound are told again while the refusals go on. */
export const DROPPED_ROWS_LINE_MS = 30_000;

/**
 * What the audit writer tells of the rows it refuses at the queue's bound (`maxQueue` rows or
 * `maxQueueBytes`), row by row; the listener decides what is worth a line.
 */
export interface RowDrops {
  /** A row refused, the queue as full as `fill` says. */
  refused(fill: QueueFill): void;
  /** A row queued: the queue has room again. */
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
}

/**
 * Rows refused at the audit queue's bound, told a burst at a time: a warning at the first refusal,
 * then at most one every `everyMs` while refusals go on, each with the rows refused since the line
 * before, and a line when a row is queued again with those since the last warning. A line a row
 * would bury the log when the store is down under load: 100,000 rows are a minute of traffic.
 */
export function droppedRowsLog(logger: Logger, options: DroppedRowsLogOptions = {}): RowDrops {
  const everyMs = options.everyMs ?? DROPPED_ROWS_LINE_MS;
  const now = options.now ?? Date.now;
  let inBurst = false;
  let lastLine = 0;
  /** Refused since the last line. */
  let unsaid = 0;
  return {
    refused(fill) {
      unsaid++;
      const at = now();
      if (!inBurst) {
        logger.warn("audit rows dropped: the audit queue is full", {
          queued: fill.queued,
          queued_bytes: fill.queuedBytes,
          max_queue: fill.maxQueue,
          max_queue_bytes: fill.maxQueueBytes,
          further: `rows of served requests are refused until it has room (mindgw_audit_records_total{result="dropped"}), told at most every ${Math.round(everyMs / 1000)} s`,
        });
      } else if (at - lastLine >= everyMs) {
        logger.warn("audit rows dropped", { dropped: unsaid, since_ms: at - lastLine, queued: fill.queued });
      } else return;
      inBurst = true;
      lastLine = at;
      unsaid = 0;
    },
    queued() {
      if (!inBurst) return;
      logger.info("audit rows queued again", { dropped: unsaid, since_ms: now() - lastLine });
      inBurst = false;
      unsaid = 0;
    },
  };
}
