import type { DropListener, DropReason } from "./drop-log.ts";

/** What a webhook can drop for: every reason (drop-log.ts `DropReason`). */
export const WEBHOOK_DROP_REASONS: readonly DropReason[] = [
  "queue_full",
  "rejected",
  "redirected",
  "retries_exhausted",
  "closed",
];

/** What the Redis stream can drop for: it retries until stop, and no answer of Redis refuses an event. */
export const REDIS_STREAM_DROP_REASONS: readonly DropReason[] = ["queue_full", "closed"];

/** Events one sink let go for one reason, since start. */
export interface SinkDropCount {
  /** The sink's place in the config (`events.webhooks[0]`, `events.redis_stream`), as its warnings name it. */
  readonly sink: string;
  readonly reason: DropReason;
  readonly count: number;
}

/**
 * The configured sinks' drops by sink and reason, for `/metrics` (`mindgw_event_sink_dropped_total`)
 * to read at scrape time. Each sink's reasons are there at 0 from its start, so a rate over the
 * series sees the first drop (a series' first sample is no increase). Counted on a drop only:
 * a delivery costs nothing here.
 */
export class SinkDrops {
  private readonly counts: { sink: string; reason: DropReason; count: number }[] = [];

  /** `listener`, with every drop it hears of also counted under `sink`, each of `reasons` from 0. */
  counting(sink: string, reasons: readonly DropReason[], listener: DropListener): DropListener {
    const cells = new Map<DropReason, { sink: string; reason: DropReason; count: number }>();
    const cellOf = (reason: DropReason) => {
      let cell = cells.get(reason);
      if (cell === undefined) {
        cell = { sink, reason, count: 0 };
        cells.set(reason, cell);
        this.counts.push(cell);
      }
      return cell;
    };
    for (const reason of reasons) cellOf(reason);
    return {
      onDrop(count, reason, error) {
        // A reason not foreseen is counted all the same, from its first drop.
        cellOf(reason).count += count;
        listener.onDrop(count, reason, error);
      },
      onResumed: (dropped) => listener.onResumed(dropped),
    };
  }

  /** Every sink's counts now, each reason it can drop for included at 0. */
  read(): readonly SinkDropCount[] {
    return this.counts;
  }
}
