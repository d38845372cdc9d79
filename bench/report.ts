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
