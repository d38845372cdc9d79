import type { AuditRecord } from "./audit-record.ts";
import type { EventBus } from "./event-bus.ts";
import { CONFIG_EVENT_TYPES, type ConfigEvent, isConfigEvent } from "./gateway-event.ts";

/** Log-spaced histogram bins: (1.15^(i-1), 1.15^i] ms, up to ~17 minutes in 100 bins. */
const BINS = 100;
const RATIO = 1.15;
const binOf = (ms: number) =>
  Math.min(BINS - 1, Math.max(0, Math.ceil(Math.log(Math.max(ms, 1)) / Math.log(RATIO))));
/** A bin's geometric middle: the reported value is within ±7% of every sample in it. */
const binValue = (bin: number) => (bin === 0 ? 1 : RATIO ** (bin - 0.5));

interface Bucket {
  start: number;
  count: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  latency: Uint32Array;
  ttft: Uint32Array;
}

/** One chart series per figure; index i of each array is the bucket starting at `t[i]`. */
export interface StatsSeries {
  stepMs: number;
  /** Bucket starts, epoch seconds (what uPlot reads). */
  t: number[];
  requests: number[];
  /** Share of requests with a 5xx status, 0..1; null for an empty bucket. */
  errorShare: (number | null)[];
  latencyP50: (number | null)[];
  latencyP95: (number | null)[];
  ttftP50: (number | null)[];
  ttftP95: (number | null)[];
  tokens: number[];
  costUsd: number[];
}

function percentile(histogram: Uint32Array, total: number, q: number): number | null {
  if (total === 0) return null;
  const rank = Math.ceil(total * q);
  let seen = 0;
  for (let bin = 0; bin < BINS; bin++) {
    seen += histogram[bin] ?? 0;
    if (seen >= rank) return Math.round(binValue(bin));
  }
  return null;
}

/**
 * Request figures in fixed time buckets over a rolling window, fed by finished requests from
 * the event bus. Memory is fixed (slots × two small histograms); adding is O(1); a chart reads
 * at most `slots` buckets and never touches the audit table.
 */
export class RollingStats {
  private readonly buckets: (Bucket | undefined)[];
  /**
   * The bucket the last request went to. Requests come in start order, give or take their
   * durations, so most fall in it: a range check instead of a division, a floor and a modulo
   * of doubles (of the two windows' whole `add`, ~130 → ~55 ns a request).
   */
  private last: Bucket | undefined;

  constructor(
    readonly stepMs: number,
    readonly slots: number,
  ) {
    this.buckets = new Array<Bucket | undefined>(slots);
  }

  add(
    record: Pick<
      AuditRecord,
      "startedAt" | "status" | "latencyMs" | "ttfbMs" | "inputTokens" | "outputTokens" | "costUsd"
    >,
  ): void {
    const at = record.startedAt;
    const last = this.last;
    const bucket =
      last !== undefined && at >= last.start && at < last.start + this.stepMs ? last : this.bucketAt(at);
    if (bucket === undefined) return; // older than the window
    this.last = bucket;
    bucket.count++;
    if (record.status >= 500) bucket.errors++;
    bucket.inputTokens += record.inputTokens;
    bucket.outputTokens += record.outputTokens;
    bucket.costUsd += record.costUsd;
    bucket.latency[binOf(record.latencyMs)]!++;
    if (record.ttfbMs !== null) bucket.ttft[binOf(record.ttfbMs)]!++;
  }

  /**
   * The bucket of a request started `at`, begun when its slot still holds an older one; none when
   * the slot holds a newer one (the request is older than the window).
   */
  private bucketAt(at: number): Bucket | undefined {
    const start = Math.floor(at / this.stepMs) * this.stepMs;
    const slot = (start / this.stepMs) % this.slots;
    const bucket = this.buckets[slot];
    if (bucket !== undefined && bucket.start === start) return bucket;
    if (bucket !== undefined && bucket.start > start) return undefined;
    const begun: Bucket = {
      start,
      count: 0,
      errors: 0,
      inputTokens: 0,
      outputTokens: 0,
      costUsd: 0,
      latency: new Uint32Array(BINS),
      ttft: new Uint32Array(BINS),
    };
    this.buckets[slot] = begun;
    return begun;
  }

  /** The last `windowMs` up to `now`, one entry per bucket (empty buckets as zeros). */
  series(now: number, windowMs: number): StatsSeries {
    const steps = Math.min(this.slots, Math.ceil(windowMs / this.stepMs));
    const last = Math.floor(now / this.stepMs) * this.stepMs;
    const out: StatsSeries = {
      stepMs: this.stepMs,
      t: [],
      requests: [],
      errorShare: [],
      latencyP50: [],
      latencyP95: [],
      ttftP50: [],
      ttftP95: [],
      tokens: [],
      costUsd: [],
    };
    for (let i = steps - 1; i >= 0; i--) {
      const start = last - i * this.stepMs;
      const found = this.buckets[(start / this.stepMs) % this.slots];
      const bucket = found?.start === start ? found : undefined;
      const count = bucket?.count ?? 0;
      const ttftCount = bucket ? bucket.ttft.reduce((sum, n) => sum + n, 0) : 0;
      out.t.push(start / 1000);
      out.requests.push(count);
      out.errorShare.push(count === 0 ? null : (bucket?.errors ?? 0) / count);
      out.latencyP50.push(bucket ? percentile(bucket.latency, count, 0.5) : null);
      out.latencyP95.push(bucket ? percentile(bucket.latency, count, 0.95) : null);
      out.ttftP50.push(bucket ? percentile(bucket.ttft, ttftCount, 0.5) : null);
      out.ttftP95.push(bucket ? percentile(bucket.ttft, ttftCount, 0.95) : null);
      out.tokens.push(bucket ? bucket.inputTokens + bucket.outputTokens : 0);
      out.costUsd.push(bucket?.costUsd ?? 0);
    }
    return out;
  }
}

export const STATS_WINDOWS = {
  "15m": 15 * 60_000,
  "1h": 3_600_000,
  "6h": 6 * 3_600_000,
  "24h": 24 * 3_600_000,
} as const;
export type StatsWindowName = keyof typeof STATS_WINDOWS;

/**
 * What the charts count: the gateway's traffic, not the admin API's own calls. The web UI polls
 * every few seconds and holds the event stream open for minutes, and a script creating keys is
 * no model traffic either: counted, they would fill the request rate and make a held stream the
 * latency p95. Their audit rows are still written (every request leaves one).
 */
export const isModelTraffic = (record: { readonly frontDoor: string }): boolean =>
  record.frontDoor !== "admin";

/** Two resolutions: 10-second buckets for the last hour, minute buckets for the last day. */
export class RequestStats {
  private readonly fine = new RollingStats(10_000, 360);
  private readonly coarse = new RollingStats(60_000, 1440);
  /** The last config reload or rejection since start, for the overview. */
  lastConfigEvent: ConfigEvent | null = null;

  /**
   * Reads finished requests and config events off the bus as they are published: a tap, called
   * in the publisher's turn, not a subscription (an async iterator cost a promise, a result
   * object and a wake-up per request). Returns the detach.
   */
  follow(bus: EventBus): () => void {
    return bus.tap(
      "the dashboard stats' event listener",
      (event) => {
        if (event.type === "request.finished" && isModelTraffic(event.record)) this.add(event.record);
        else if (isConfigEvent(event)) this.lastConfigEvent = event;
      },
      ["request.finished", ...CONFIG_EVENT_TYPES],
    );
  }

  add(record: AuditRecord): void {
    this.fine.add(record);
    this.coarse.add(record);
  }

  series(now: number, window: StatsWindowName): StatsSeries {
    const windowMs = STATS_WINDOWS[window];
    return (windowMs <= this.fine.stepMs * this.fine.slots ? this.fine : this.coarse).series(now, windowMs);
  }
}
