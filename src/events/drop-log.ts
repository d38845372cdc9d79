import type { LogFields, Logger } from "../log/logger.ts";

/**
 * Why a sink let events go: its queue was full, the receiver refused them (4xx) or answered a
 * redirect (3xx, never followed: the signature and the events would go where it leads), tries ran
 * out, or it stopped.
 */
export type DropReason = "queue_full" | "rejected" | "redirected" | "retries_exhausted" | "closed";

/** What a sink tells of its losses: each drop as it happens, and its first delivery after some. */
export interface DropListener<Reason extends string = DropReason> {
  /**
   * Events let go unsent, and why (every drop: the sink's `dropped` count is their sum); `error`
   * says what the last try met where there was one: the receiver's status (a redirect's with where
   * it led), or why no answer came (for the Redis stream, why its appends fail while they do).
   */
  onDrop(count: number, reason: Reason, error?: string): void;
  /** The sink delivered again after dropping `dropped` events since its last delivery. */
  onResumed(dropped: number): void;
}

/**
 * A sink's losses in the log a burst at a time, not a line an event: a receiver away under load
 * loses an event a request, and a line for each would bury the log (and cost a write a request).
 * A burst runs from a drop to the sink's next delivery. The first drop of each reason in it is a
 * warning; the rest are counted only (the sink's `dropped`), until the delivery that ends it, one
 * line saying how many the burst lost. `what` names the lost things in the lines: `redis stream
 * events dropped`, `webhook delivering again`; the trace export's are `spans dropped`, `spans
 * delivering again` (tracing/span-loss-log.ts).
 */
export function dropLog<Reason extends string = DropReason>(
  logger: Logger,
  sink: string,
  fields: LogFields,
  what: { readonly dropped: string; readonly resumed: string } = {
    dropped: `${sink} events dropped`,
    resumed: `${sink} delivering again`,
  },
): DropListener<Reason> {
  const told = new Set<Reason>();
  return {
    onDrop(count, reason, error) {
      if (told.has(reason)) return;
      told.add(reason);
      logger.warn(what.dropped, {
        ...fields,
        count,
        reason,
        ...(error === undefined ? {} : { error }),
        further: "counted until it delivers again",
      });
    },
    onResumed(dropped) {
      told.clear();
      logger.info(what.resumed, { ...fields, dropped });
    },
  };
}
