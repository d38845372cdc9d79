import type { TtfbResult } from "./ttfb.ts";
import type { WrkResult } from "./wrk.ts";

/** One wrk run: a scenario at a concurrency against a target. */
export interface LoadRow {
  scenario: string;
  connections: number;
  target: string;
  result?: WrkResult;
  error?: string;
}

/** Everything one benchmark run measured. */
export interface BenchReport {
  startedAt: string;
  seconds: number;
  warmupSeconds: number;
  machine: string;
  load: LoadRow[];
  ttfb: { target: string; result?: TtfbResult; error?: string }[];
  /** KiB, by target: after start, after warm-up, after the load runs. */
  rss: { target: string; start?: number; warm?: number; end?: number }[];
}

const ms = (us: number) => (us / 1000).toFixed(2);
const fmt = (n: number | undefined, digits = 2) =>
  n === undefined || Number.isNaN(n) ? "–" : n.toFixed(digits);
/** Keeps an error message from breaking the table. */
const cell = (text: string) => text.replaceAll("|", "\\|").replaceAll("\n", " ");
const mib = (kib: number | undefined) => (kib === undefined ? "–" : `${(kib / 1024).toFixed(1)} MiB`);

function find(rows: LoadRow[], row: LoadRow, target: string): WrkResult | undefined {
  return rows.find(
    (r) => r.scenario === row.scenario && r.connections === row.connections && r.target === target,
  )?.result;
}

function loadTable(rows: LoadRow[]): string[] {
  const out = [
    "| scenario | c | target | req/s | p50 ms | p99 ms | errors | req/s vs direct | req/s vs bare |",
    "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const row of rows) {
    const r = row.result;
    if (!r) {
      out.push(
        `| ${row.scenario} | ${row.connections} | ${row.target} | failed: ${cell(row.error ?? "?")} | | | | | |`,
      );
      continue;
    }
    const direct = find(rows, row, "direct");
    const bare = find(rows, row, "bare-proxy");
    const ratio = (base?: WrkResult) => (base ? `${fmt(r.rps / base.rps)}×` : "–");
    const errors = r.socket_errors + r.status_errors;
    out.push(
      `| ${row.scenario} | ${row.connections} | ${row.target} | ${r.rps.toFixed(0)} | ${ms(r.p50)} | ${ms(r.p99)} | ${errors} | ${ratio(direct)} | ${ratio(bare)} |`,
    );
  }
  return out;
}

function addedLatency(rows: LoadRow[]): string[] {
  const out = ["| scenario | target | +p50 ms | +p99 ms |", "| --- | --- | ---: | ---: |"];
  for (const row of rows.filter((r) => r.connections === 1 && r.target !== "direct" && r.result)) {
    const direct = find(rows, row, "direct");
    if (!direct || !row.result) continue;
    const p50 = ms(row.result.p50 - direct.p50);
    out.push(`| ${row.scenario} | ${row.target} | ${p50} | ${ms(row.result.p99 - direct.p99)} |`);
  }
  return out;
}

/** Issue 5's comparison: the same route through a worker tunnel vs the direct provider route. */
function tunnelTable(rows: LoadRow[]): string[] {
  const out = [
    "| scenario | c | tunnel req/s ÷ direct route | +p50 ms | +p99 ms |",
    "| --- | ---: | ---: | ---: | ---: |",
  ];
  for (const row of rows.filter((r) => r.target === "mindgw-worker" && r.result)) {
    const direct = find(rows, row, "mindgw");
    if (!direct || !row.result) continue;
    const r = row.result;
    out.push(
      `| ${row.scenario} | ${row.connections} | ${fmt(r.rps / direct.rps)}× | ${ms(r.p50 - direct.p50)} | ${ms(r.p99 - direct.p99)} |`,
    );
  }
  return out.length > 2 ? ["## Worker tunnel vs direct route (mindgw-worker vs mindgw)", "", ...out, ""] : [];
}

/** Issues 3 and 4: the same gateway with a feature on vs off, measured back to back. */
export const ON_OFF_PAIRS = [
  { feature: "auth + limits", off: "embedded-auth-off", on: "embedded-auth-on" },
  { feature: "audit rows", off: "embedded-audit-off", on: "embedded-audit-on" },
] as const;

function onOffTable(rows: LoadRow[]): string[] {
  const out = [
    "| feature | scenario | c | off req/s | on req/s | on ÷ off | +p50 ms | +p99 ms |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const pair of ON_OFF_PAIRS) {
    for (const row of rows.filter((r) => r.target === pair.on && r.result)) {
      const off = find(rows, row, pair.off);
      const on = row.result;
      if (!off || !on) continue;
      out.push(
        `| ${pair.feature} | ${row.scenario} | ${row.connections} | ${off.rps.toFixed(0)} | ${on.rps.toFixed(0)} | ${fmt(on.rps / off.rps, 3)} | ${ms(on.p50 - off.p50)} | ${ms(on.p99 - off.p99)} |`,
      );
    }
  }
  return out.length > 2 ? ["## Feature on vs off (embedded gateway, same run)", "", ...out, ""] : [];
}

export function renderReport(report: BenchReport): string {
  const ttfb = report.ttfb.map(({ target, result, error }) =>
    result
      ? `| ${target} | ${result.n} | ${fmt(result.p50)} | ${fmt(result.p99)} | ${result.failures} |`
      : `| ${target} | – | – | – | failed: ${cell(error ?? "?")} |`,
  );
  const rss = report.rss.map((r) => `| ${r.target} | ${mib(r.start)} | ${mib(r.warm)} | ${mib(r.end)} |`);
  return [
    `# mindgw benchmark — ${report.startedAt}`,
    "",
    `${report.seconds} s per run after ${report.warmupSeconds} s warm-up; ${report.machine}.`,
    "All processes share the same cores as wrk, so compare columns within one run, not across runs.",
    "",
    "## Throughput and latency (wrk, POST /v1/chat/completions)",
    "",
    ...loadTable(report.load),
    "",
    "## Added latency over direct at c=1",
    "",
    ...addedLatency(report.load),
    "",
    ...tunnelTable(report.load),
    ...onOffTable(report.load),
    "## Streaming time to first byte (sequential requests)",
    "",
    "| target | n | p50 ms | p99 ms | failures |",
    "| --- | ---: | ---: | ---: | ---: |",
    ...ttfb,
    "",
    "## Resident memory (VmRSS)",
    "",
    "| target | after start | after warm-up | after load |",
    "| --- | ---: | ---: | ---: |",
    ...rss,
    "",
  ].join("\n");
}
