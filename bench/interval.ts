/**
 * A mean with its 95 % confidence interval (Student's t), for paired, interleaved rounds: the
 * rounds' differences or log-ratios are the samples. What lets a benchmark say "1.2 % ± 0.4 %"
 * instead of a median and a range that cannot resolve a 1 % effect.
 */

/** Two-sided 97.5 % quantiles of Student's t for 1–30 degrees of freedom; past 30, 1.96 is close enough. */
const T975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131,
  2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];

export interface Interval {
  readonly mean: number;
  readonly low: number;
  readonly high: number;
  readonly n: number;
}

/** The mean of `xs` and their sample variance (NaN for fewer than two). */
function moments(xs: readonly number[]): { mean: number; variance: number } {
  const n = xs.length;
  const mean = xs.reduce((sum, x) => sum + x, 0) / n;
  const variance = n < 2 ? Number.NaN : xs.reduce((sum, x) => sum + (x - mean) ** 2, 0) / (n - 1);
  return { mean, variance };
}

/** The mean of `xs` and its 95 % confidence interval (NaN-wide for fewer than two samples). */
export function meanInterval(xs: readonly number[]): Interval {
  const n = xs.length;
  const { mean, variance } = moments(xs);
  if (n < 2) return { mean, low: Number.NaN, high: Number.NaN, n };
  const half = (T975[n - 2] ?? 1.96) * Math.sqrt(variance / n);
  return { mean, low: mean - half, high: mean + half, n };
}

/**
 * How many rounds paired ratios with these rounds' spread would take for their 95 % interval to
 * be ±`within` (1 %) wide: what a run that resolved nothing would have needed. Large-sample
 * quantile (1.96); NaN for fewer than two rounds.
 */
export function roundsToResolve(ratios: readonly number[], within = 0.01): number {
  const { variance } = moments(ratios.map(Math.log));
  return Math.ceil(((1.96 * Math.sqrt(variance)) / Math.log(1 + within)) ** 2);
}

/**
 * The geometric mean of paired ratios (each round's a ÷ b) and its 95 % interval, computed on
 * their logarithms: a ratio and its inverse weigh alike.
 */
export function ratioInterval(ratios: readonly number[]): Interval {
  const logs = meanInterval(ratios.map(Math.log));
  return { mean: Math.exp(logs.mean), low: Math.exp(logs.low), high: Math.exp(logs.high), n: logs.n };
}

/** `0.993 (0.981–1.005, 95 % CI, n = 20)`. */
export const formatInterval = (interval: Interval, digits = 3) =>
  `${interval.mean.toFixed(digits)} (${interval.low.toFixed(digits)}–${interval.high.toFixed(digits)})`;
