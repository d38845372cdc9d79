/**
 * Median and range over repeated runs of bench/run.ts (2 shared cores make one run noisy).
 *   bun bench/summarize.ts .bench-out/run-*.json
 * Ratios are computed within each run (both sides measured minutes apart at most), then the
 * median and range of those per-run ratios are shown. Prints markdown.
 */
import { type BenchReport, ON_OFF_PAIRS } from "./report.ts";
import { median } from "./stats.ts";
import type { WrkResult } from "./wrk.ts";

const files = process.argv.slice(2);
if (files.length === 0) throw new Error("usage: bun bench/summarize.ts RUN.json...");
const runs: BenchReport[] = await Promise.all(
  files.map(async (f) => JSON.parse(await Bun.file(f).text()) as BenchReport),
);

/** "median (min–max)", or "–" when no run measured it. */
function stat(xs: number[], digits: number, unit = ""): string {
  const ok = xs.filter((x) => Number.isFinite(x));
  if (ok.length === 0) return "–";
  const f = (x: number) => x.toFixed(digits);
  const lo = Math.min(...ok);
  const hi = Math.max(...ok);
  return ok.length === 1 ? `${f(ok[0] ?? 0)}${unit}` : `${f(median(ok))}${unit} (${f(lo)}–${f(hi)})`;
}

const get = (run: BenchReport, scenario: string, c: number, target: string): WrkResult | undefined =>
  run.load.find((r) => r.scenario === scenario && r.connections === c && r.target === target)?.result;
const across = (f: (run: BenchReport) => number | undefined) =>
  runs.map(f).filter((x): x is number => x !== undefined);
const ms = (us: number) => us / 1000;

const shapes = [...new Set(runs.flatMap((r) => r.load.map((l) => `${l.scenario}|${l.connections}`)))]
  .filter((k) => !k.startsWith("all|"))
  .map((k) => {
    const [scenario = "", c = "0"] = k.split("|");
    return { scenario, c: Number(c) };
  })
  .sort((a, b) => a.scenario.localeCompare(b.scenario) || a.c - b.c);
const targets = [...new Set(runs.flatMap((r) => r.load.map((l) => l.target)))];

const out: string[] = [`Summary of ${runs.length} runs: median (min–max).`, ""];
for (const { scenario, c } of shapes) {
  out.push(`### ${scenario}, c=${c}`, "");
  out.push("| target | req/s | p50 ms | p99 ms | ÷ direct | ÷ bare-proxy |");
  out.push("| --- | ---: | ---: | ---: | ---: | ---: |");
  for (const target of targets) {
    const rps = across((r) => get(r, scenario, c, target)?.rps);
    if (rps.length === 0) continue;
    const ratio = (base: string) =>
      across((r) => {
        const a = get(r, scenario, c, target);
        const b = get(r, scenario, c, base);
        return a && b ? a.rps / b.rps : undefined;
      });
    out.push(
      `| ${target} | ${stat(rps, 0)} | ${stat(
        across((r) => get(r, scenario, c, target)?.p50).map(ms),
        2,
      )} | ${stat(across((r) => get(r, scenario, c, target)?.p99).map(ms), 2)} | ${stat(ratio("direct"), 2)} | ${stat(ratio("bare-proxy"), 2)} |`,
    );
  }
  out.push("");
}

const delta = (scenario: string, c: number, target: string, base: string, key: "p50" | "p99") =>
  across((r) => {
    const a = get(r, scenario, c, target);
    const b = get(r, scenario, c, base);
    return a && b ? ms(a[key] - b[key]) : undefined;
  });

out.push("### Added latency at c=1 (ms, per run then median)", "");
out.push("| scenario | target | over | +p50 ms | +p99 ms |", "| --- | --- | --- | ---: | ---: |");
for (const scenario of [...new Set(shapes.map((s) => s.scenario))]) {
  for (const [target, base] of [
    ["bare-proxy", "direct"],
    ["mindgw", "direct"],
    ["mindgw-worker", "direct"],
    ["mindgw-worker", "mindgw"],
  ] as const) {
    const p50 = delta(scenario, 1, target, base, "p50");
    if (p50.length === 0) continue;
    out.push(
      `| ${scenario} | ${target} | ${base} | ${stat(p50, 3)} | ${stat(delta(scenario, 1, target, base, "p99"), 3)} |`,
    );
  }
}
out.push("");

out.push("### Feature on ÷ off (embedded gateway, per run then median)", "");
out.push(
  "| feature | scenario | c | on ÷ off req/s | +p50 ms | +p99 ms |",
  "| --- | --- | ---: | ---: | ---: | ---: |",
);
for (const pair of ON_OFF_PAIRS) {
  for (const { scenario, c } of shapes) {
    const ratio = across((r) => {
      const on = get(r, scenario, c, pair.on);
      const off = get(r, scenario, c, pair.off);
      return on && off ? on.rps / off.rps : undefined;
    });
    if (ratio.length === 0) continue;
    out.push(
      `| ${pair.feature} | ${scenario} | ${c} | ${stat(ratio, 3)} | ${stat(delta(scenario, c, pair.on, pair.off, "p50"), 2)} | ${stat(delta(scenario, c, pair.on, pair.off, "p99"), 2)} |`,
    );
  }
}
out.push("");

out.push("### Worker tunnel ÷ direct route (mindgw-worker ÷ mindgw)", "");
out.push("| scenario | c | req/s ratio |", "| --- | ---: | ---: |");
for (const { scenario, c } of shapes) {
  const ratio = across((r) => {
    const w = get(r, scenario, c, "mindgw-worker");
    const d = get(r, scenario, c, "mindgw");
    return w && d ? w.rps / d.rps : undefined;
  });
  if (ratio.length > 0) out.push(`| ${scenario} | ${c} | ${stat(ratio, 2)} |`);
}
out.push("");

const ttfb = (r: BenchReport, t: string) => r.ttfb.find((x) => x.target === t)?.result;
out.push("### Streaming time to first byte (ms; 'added' is over direct, per run)", "");
out.push("| target | p50 | p99 | added p50 | added p99 |", "| --- | ---: | ---: | ---: | ---: |");
for (const target of targets) {
  const p50 = across((r) => ttfb(r, target)?.p50);
  if (p50.length === 0) continue;
  const added = (k: "p50" | "p99") =>
    across((r) => {
      const a = ttfb(r, target);
      const d = ttfb(r, "direct");
      return a && d ? a[k] - d[k] : undefined;
    });
  out.push(
    `| ${target} | ${stat(p50, 2)} | ${stat(
      across((r) => ttfb(r, target)?.p99),
      2,
    )} | ${stat(added("p50"), 2)} | ${stat(added("p99"), 2)} |`,
  );
}
out.push("");

const mib = (kib: number | undefined) => (kib === undefined ? undefined : kib / 1024);
out.push("### Resident memory (MiB)", "");
out.push("| process | after start (idle) | after warm-up | after load |", "| --- | ---: | ---: | ---: |");
for (const target of [...new Set(runs.flatMap((r) => r.rss.map((x) => x.target)))]) {
  const pick = (k: "start" | "warm" | "end") =>
    across((r) => mib(r.rss.find((x) => x.target === target)?.[k]));
  out.push(`| ${target} | ${stat(pick("start"), 1)} | ${stat(pick("warm"), 1)} | ${stat(pick("end"), 1)} |`);
}
out.push("");
console.log(out.join("\n"));
