/**
 * Time to first token: sequential streams, each timed from the request to its first body bytes.
 * `measureTtfb` is what bench/ratios.ts and bench/run.ts call; run as a script, it compares
 * targets in interleaved rounds (rotated order), which a single 100-sample p99 cannot do on a
 * shared machine:
 *   bun run build && bun bench/ttfb.ts [--upstream fake|burst] [--n 300] [--rounds 3] [--against BINARY] [--fetch]
 * Targets: the upstream directly, the bare Bun proxy, mindgw (MINDGW_BIN, default dist/mindgw),
 * with --against another mindgw binary, with --fetch mindgw again with
 * `MINDGW_UPSTREAM_CLIENT=fetch` (calls made alone on Bun's `fetch`, not the lean client). Prints
 * per target the median (min–max) over rounds of p50, p90 and p99, and p50/p99 added over direct.
 */
import { parseArgs } from "node:util";
import { STREAM_SCENARIO } from "./scenarios.ts";
import type { RunningTarget, Target } from "./target.ts";
import { bareProxyTarget, directTarget, mindgwTarget, startBurst, startFake } from "./targets.ts";
import type { Scenario } from "./wrk.ts";

/** Time to first body chunk of sequential streaming requests, in milliseconds. */
export interface TtfbResult {
  n: number;
  p50: number;
  p90: number;
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
  return {
    n: times.length,
    p50: percentile(times, 50),
    p90: percentile(times, 90),
    p99: percentile(times, 99),
    failures,
  };
}

async function compare(): Promise<void> {
  const { values } = parseArgs({
    options: {
      upstream: { type: "string", default: "fake" },
      n: { type: "string", default: "300" },
      rounds: { type: "string", default: "3" },
      against: { type: "string" },
      fetch: { type: "boolean", default: false },
    },
  });
  if (values.upstream !== "fake" && values.upstream !== "burst") throw new Error("--upstream fake|burst");
  const n = Number(values.n);
  const rounds = Number(values.rounds);
  const binary = process.env.MINDGW_BIN ?? new URL("../dist/mindgw", import.meta.url).pathname;
  const upstream = values.upstream === "fake" ? await startFake() : await startBurst();
  const targets: Target[] = [
    directTarget(upstream.url, upstream.pid),
    bareProxyTarget(upstream.url),
    mindgwTarget(upstream.url, binary, { name: "mindgw" }),
    ...(values.against ? [mindgwTarget(upstream.url, values.against, { name: "against" })] : []),
    ...(values.fetch
      ? [
          mindgwTarget(upstream.url, binary, {
            name: "mindgw-fetch",
            env: { MINDGW_UPSTREAM_CLIENT: "fetch" },
          }),
        ]
      : []),
  ];
  const running = new Map<string, RunningTarget>();
  try {
    for (const target of targets) running.set(target.name, await target.start());
    const names = [...running.keys()];
    const results = new Map<string, TtfbResult[]>(names.map((name) => [name, []]));
    for (const t of running.values()) await measureTtfb(t.url, t.headers, STREAM_SCENARIO, 50); // warm-up
    for (let r = 0; r < rounds; r++) {
      for (const name of names.map((_, i) => names[(i + r) % names.length] ?? "")) {
        const t = running.get(name);
        if (!t) continue;
        const result = await measureTtfb(t.url, t.headers, STREAM_SCENARIO, n);
        results.get(name)?.push(result);
        console.error(
          `ttfb: round ${r + 1}/${rounds} ${name}: p50 ${result.p50.toFixed(3)} p90 ${result.p90.toFixed(3)} p99 ${result.p99.toFixed(3)} ms, ${result.failures} failed`,
        );
      }
    }
    const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
    const median = (xs: number[]) => percentile(sorted(xs), 50);
    const of = (name: string, key: "p50" | "p90" | "p99") => (results.get(name) ?? []).map((x) => x[key]);
    const cell = (xs: number[]) =>
      `${median(xs).toFixed(3)} (${(sorted(xs)[0] ?? 0).toFixed(3)}–${(sorted(xs).at(-1) ?? 0).toFixed(3)})`;
    const direct = { p50: median(of("direct", "p50")), p99: median(of("direct", "p99")) };
    console.log(
      [
        `## TTFT, ${values.upstream} upstream, ${rounds} interleaved rounds × ${n} sequential streams (ms, median (min–max) over rounds)`,
        "",
        "| target | p50 | p90 | p99 | added p50 | added p99 |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
        ...names.map(
          (name) =>
            `| ${name} | ${cell(of(name, "p50"))} | ${cell(of(name, "p90"))} | ${cell(of(name, "p99"))} | ${(median(of(name, "p50")) - direct.p50).toFixed(3)} | ${(median(of(name, "p99")) - direct.p99).toFixed(3)} |`,
        ),
      ].join("\n"),
    );
  } finally {
    for (const t of running.values()) await t.stop();
    await upstream.stop();
  }
}

if (import.meta.main) await compare();
