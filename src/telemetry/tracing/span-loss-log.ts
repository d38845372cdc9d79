import type { Tracer } from "@opentelemetry/api";
import { dropLog } from "../../events/drop-log.ts";
import type { Logger } from "../../log/logger.ts";

/** What the trace export pipeline tells of its losses, and their sum for the metric. */
export interface SpanLosses {
  /** Spans let go unsent (the collector refused them, did not answer, the queue was full). */
  dropped(spans: number, reason: string): void;
  /** A batch reached the collector. */
  delivered(): void;
  /** Spans lost since start: `mindgw_trace_spans_dropped_total`. */
  readonly total: number;
}

/**
 * The trace export's losses in the log a burst at a time, as the event sinks' are (events/drop-log.ts):
 * the first loss of each reason after a delivery is a warning, `spans dropped` with the reason
 * (the collector's answer: its HTTP status), the rest counted only, until the next delivery says
 * `spans delivering again` with how many the burst lost. A collector away for an hour is two lines
 * and a counter, not one line per 10,000 spans, nor silence after the first.
 */
export function spanLossLog(logger: Logger): SpanLosses {
  const bursts = dropLog<string>(
    logger,
    "trace export",
    {},
    {
      dropped: "spans dropped",
      resumed: "spans delivering again",
    },
  );
  let total = 0;
  let inBurst = 0;
  return {
    dropped(spans, reason) {
      total += spans;
      inBurst += spans;
      bursts.onDrop(spans, reason);
    },
    delivered() {
      if (inBurst === 0) return;
      bursts.onResumed(inBurst);
      inBurst = 0;
    },
    get total() {
      return total;
    },
  };
}

/** Each tracer startTracing made, with its pipeline's losses (an embedder's own tracer has none known). */
const lossesOf = new WeakMap<Tracer, SpanLosses>();

/** Says that `tracer`'s spans are lost as `losses` counts them. */
export function knowLosses(tracer: Tracer, losses: SpanLosses): void {
  lossesOf.set(tracer, losses);
}

/** The losses of `tracer`'s pipeline, when startTracing made it. */
export const spanLossesOf = (tracer: Tracer | undefined): SpanLosses | undefined =>
  tracer === undefined ? undefined : lossesOf.get(tracer);
