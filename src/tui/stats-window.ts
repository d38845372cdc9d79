/** Figures the header shows, over the last minute (or since the start, if shorter). */
export interface WindowStats {
  /** Finished requests counted in the window. */
  count: number;
  requestsPerSec: number;
  /** Share of finished requests with a 5xx status, 0..1. */
  errorRate5xx: number;
  /** Share of finished requests with a 4xx status, 0..1. */
  errorRate4xx: number;
  p50Ms: number | null;
  p95Ms: number | null;
  tokensPerSec: number;
}

interface Bucket {
  second: number;
  count: number;
  e4: number;
  e5: number;
  tokens: number;
  /** Latency samples; at most `maxSamples` kept per second (reservoir) so memory stays bounded. */
  samples: number[];
}

/**
 * Rolling per-second buckets over a fixed window. Adding is O(1); a snapshot merges at most
 * `windowSec × maxSamples` latencies, which keeps percentiles exact at normal rates and
 * bounded at 1,000 events/s.
 */
export class StatsWindow {
  private readonly buckets: (Bucket | undefined)[];

  constructor(
    private readonly startedAt: number,
    private readonly windowSec = 60,
    private readonly maxSamples = 500,
    private readonly random: () => number = Math.random,
  ) {
    this.buckets = new Array<Bucket | undefined>(windowSec);
  }

  add(at: number, status: number, latencyMs: number, tokens: number): void {
    const second = Math.floor(at / 1000);
    const slot = second % this.windowSec;
    let bucket = this.buckets[slot];
    if (bucket === undefined || bucket.second !== second) {
      bucket = { second, count: 0, e4: 0, e5: 0, tokens: 0, samples: [] };
      this.buckets[slot] = bucket;
    }
    bucket.count++;
    if (status >= 500) bucket.e5++;
    else if (status >= 400) bucket.e4++;
    bucket.tokens += tokens;
    if (bucket.samples.length < this.maxSamples) bucket.samples.push(latencyMs);
    else {
      const pick = Math.floor(this.random() * bucket.count);
      if (pick < this.maxSamples) bucket.samples[pick] = latencyMs;
    }
  }

  snapshot(now: number): WindowStats {
    const nowSecond = Math.floor(now / 1000);
    let count = 0;
    let e4 = 0;
    let e5 = 0;
    let tokens = 0;
    const samples: number[] = [];
    for (const bucket of this.buckets) {
      if (bucket === undefined || bucket.second <= nowSecond - this.windowSec || bucket.second > nowSecond)
        continue;
      count += bucket.count;
      e4 += bucket.e4;
      e5 += bucket.e5;
      tokens += bucket.tokens;
      for (const sample of bucket.samples) samples.push(sample);
    }
    // Early on, divide by the time actually watched so the first seconds don't read low.
    const seconds = Math.min(this.windowSec, Math.max(1, (now - this.startedAt) / 1000));
    samples.sort((a, b) => a - b);
    return {
      count,
      requestsPerSec: count / seconds,
      errorRate5xx: count === 0 ? 0 : e5 / count,
      errorRate4xx: count === 0 ? 0 : e4 / count,
      p50Ms: percentile(samples, 0.5),
      p95Ms: percentile(samples, 0.95),
      tokensPerSec: tokens / seconds,
    };
  }
}

/** Nearest-rank percentile of sorted values; null for none. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.ceil(p * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? null;
}
