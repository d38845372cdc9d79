import type { LogFields, Logger } from "../log/logger.ts";

/** Why a sink let events go: its queue was full, the receiver refused them (4xx), tries ran out, or it stopped. */
export type DropReason = "queue_full" | "rejected" | "retries_exhausted" | "closed";

/** What a sink tells of its losses: each drop as it happens, and its first delivery after some. */
export interface DropListener {
  /** Events let go unsent, and why (every drop: the sink's `dropped` count is their sum). */
  onDrop(count: number, reason: DropReason): void;
  /** The sink delivered again after dropping `dropped` events since its last delivery. */
  onResumed(dropped: number): void;
}

/**
 * A sink's losses in the log a burst at a time, not a line an event: a receiver away under load
 * loses an event a request, and a line for each would bury the log (and cost a write a request).
 * A burst runs from a drop to the sink's next delivery. The first drop of each reason in it is a
 * warning; the rest are counted only (the sink's `dropped`), until the delivery that ends it, one
 * line saying how many the burst lost.
 */
export function dropLog(logger: Logger, sink: string, fields: LogFields): DropListener {
  const told = new Set<DropReason>();
  return {
    onDrop(count, reason) {
      if (told.has(reason)) return;
      told.add(reason);
      logger.warn(`${sink} events dropped`, {
        ...fields,
        count,
        reason,
        further: "counted until it delivers again",
      });
    },
    onResumed(dropped) {
      told.clear();
      logger.info(`${sink} delivering again`, { ...fields, dropped });
    },
  };
}
