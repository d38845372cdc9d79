import type { Scenario } from "./wrk.ts";

/** Time to first body chunk of sequential streaming requests, in milliseconds. */
export interface TtfbResult {
  n: number;
  p50: number;
  p99: number;
  failures: number;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)] ?? Number.NaN;
}

/** One request at a time: send, wait for the first body bytes, then drain the rest. */
export async function measureTtfb(
  baseUrl: string,
  headers: Record<string, string>,
  scenario: Scenario,
  n: number,
): Promise<TtfbResult> {
  const times: number[] = [];
  let failures = 0;
  const body = JSON.stringify(scenario.body);
  for (let i = 0; i < n; i++) {
    const started = performance.now();
    try {
      const res = await fetch(`${baseUrl}${scenario.path}`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body,
        signal: AbortSignal.timeout(10_000),
      });
      const reader = res.body!.getReader();
      const first = await reader.read();
      const elapsed = performance.now() - started;
      while (!(await reader.read()).done) {}
      if (!res.ok || first.done) failures++;
      else times.push(elapsed);
    } catch {
      failures++;
    }
  }
  times.sort((a, b) => a - b);
  return { n: times.length, p50: percentile(times, 50), p99: percentile(times, 99), failures };
}
