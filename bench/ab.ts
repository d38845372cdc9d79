/**
 * Interleaved A/B comparisons: both targets of a pair run at the same time and short wrk runs
 * alternate between them (A B B A …), so a change in machine load (2 shared cores) hits both
 * sides alike. Each round gives one ratio; the median and range of the rounds are reported.
 *   bun run build && bun bench/ab.ts
 * Environment: AB_SECONDS (3) per wrk run, AB_ROUNDS (4), AB_PAIRS (comma list of pair ids,
 * default all), AB_SCENARIOS (comma list: non-stream, stream; default both), AB_WARMUP (2) seconds of c=32 load per scenario on each target before measuring,
 * then more until its JIT has settled (bench/warm-up.ts; AB_SETTLE_MAX (120) seconds at most, 0 for none),
 * MINDGW_BIN (dist/mindgw), AB_AGAINST_BIN (another build of mindgw, say main's: adds the pairs
 * `against-traced`, `against-obs-off`, `against-mindgw`, `against-always-off`, `against-lean`, `against-worker`, `against-auto`, each that target on the other build (a) vs
 * this one (b), to judge a change by the same interleaving, and `against-traced-c1`, the traced pair at c=1), AB_THREADS=1 (also CPU µs/req per thread name, and the fake upstream process's: event loop, Worker
 * threads, the garbage collector's and JIT's helpers), AB_TOGETHER=1 (each round loads a and b at the
 * same time, each with its own wrk, rather than one after the other: a loaded machine's swings
 * then hit both sides within the same seconds), AB_COUNTS=1 (also system calls, context switches, wake-ups made
 * and page faults per request per thread name, from `perf stat`: counts that the load does not
 * move, where CPU time does; bench/thread-counts.ts). Writes .bench-out/ab-<time>.json and prints markdown.
 * A target whose code is still being compiled measures the JIT, not the steady state: the shadow
 * pair (twice the code on the hot path) needs AB_WARMUP=15 to settle (see docs/BENCHMARKS-HISTORY.md).
 * AB_STARTS (1): start the targets afresh this many times, AB_ROUNDS rounds each (warmed up each
 * time): two processes of one binary differ by a few per cent for as long as they run (heap layout,
 * what the JIT made of the code; an A/A pair shows it), which rounds of the same two processes
 * never average out; with several starts a table of each start's ratio and their interval follows
 * (bench/ab-starts.ts).
 * Pairs `auto` and `auto-c1` put the default (b: `auto`, the lean client for a run of calls made
 * alone) against `MINDGW_UPSTREAM_CLIENT=fetch` (a: Bun's `fetch` even alone) at c=32 and c=1.
 * Every run also reports the fake upstreams' CPU per request (they share the machine's cores);
 * pairs whose target mirrors requests (`shadow`, `shadow-default-cap`, `shadow-loop`,
 * `shadow-thread`, `shadow-thread-vs-loop`) also print how many copies the shadow upstream answered and how many
 * the gateway shed.
 */
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTable } from "./ab-starts.ts";
import { cpuSeconds, mainThreadCpuSeconds, threadCpuSeconds, threadCpuSpent } from "./cpu-time.ts";
import { formatInterval, ratioInterval, roundsToResolve } from "./interval.ts";
import { preflight, SCENARIOS } from "./scenarios.ts";
import { median, spread as stat } from "./stats.ts";
import type { RunningTarget } from "./target.ts";
import { allTargets, mindgwTarget, startFake } from "./targets.ts";
import { countThreads, type ThreadCounts } from "./thread-counts.ts";
import { warmUp } from "./warm-up.ts";
import { runWrk, type WrkResult } from "./wrk.ts";

const ROOT = join(import.meta.dir, "..");
const seconds = Number(process.env.AB_SECONDS ?? "3");
const rounds = Number(process.env.AB_ROUNDS ?? "4");
const starts = Number(process.env.AB_STARTS ?? "1");
const warmup = Number(process.env.AB_WARMUP ?? "2");
/** AB_SETTLE_MAX: most seconds of more load per target until its JIT settles (bench/warm-up.ts); 0: none. */
const settleMax = Number(process.env.AB_SETTLE_MAX ?? "120");
const binary = process.env.MINDGW_BIN ?? join(ROOT, "dist/mindgw");
const onlyPairs = process.env.AB_PAIRS?.split(",").map((s) => s.trim());
const onlyScenarios = process.env.AB_SCENARIOS?.split(",").map((s) => s.trim());
const byThread = process.env.AB_THREADS === "1";
const againstBinary = process.env.AB_AGAINST_BIN;
/** AB_TOGETHER=1: each round loads both sides at the same time instead of one after the other. */
const together = process.env.AB_TOGETHER === "1";
/** AB_COUNTS=1: system calls, context switches and page faults per thread (bench/thread-counts.ts). */
const byCount = process.env.AB_COUNTS === "1";
/** Targets that run on both builds with AB_AGAINST_BIN; the other build's is `<name>@against`. */
const AGAINST: Record<string, string> = {
  "against-traced": "mindgw-traced",
  "against-obs-off": "mindgw-obs-off",
  "against-mindgw": "mindgw",
  "against-always-off": "mindgw-always-off",
  // Every plain-http call on the lean client on both builds: a change to the client judged alone.
  "against-lean": "mindgw-lean",
  // The model served only through a `mindgw worker` of each build: a change to the tunnel or the worker.
  "against-worker": "mindgw-worker",
  // `MINDGW_UPSTREAM_CLIENT=auto` on both builds (the default on more than two cores).
  "against-auto": "mindgw-auto",
};

/** One comparison: `b` measured against `a` (the baseline) at one concurrency. */
export interface Pair {
  id: string;
  a: string;
  b: string;
  c: number;
  scenario: string;
}

const PAIRS: Pair[] = [
  ...["non-stream", "stream"].flatMap((scenario) => [
    { id: "auth", a: "embedded-auth-off", b: "embedded-auth-on", c: 32, scenario },
    { id: "audit", a: "embedded-audit-off", b: "embedded-audit-on", c: 32, scenario },
    { id: "core-c32", a: "bare-proxy", b: "mindgw", c: 32, scenario },
    { id: "core-c1", a: "direct", b: "mindgw", c: 1, scenario },
    { id: "worker-c32", a: "mindgw", b: "mindgw-worker", c: 32, scenario },
    { id: "obs-traced", a: "mindgw-obs-off", b: "mindgw-traced", c: 32, scenario },
    { id: "obs-untraced", a: "mindgw-obs-off", b: "mindgw", c: 32, scenario },
    // The traced pair with 2048-span export batches (docs/OBSERVABILITY.md, "Tuning a busy gateway's export").
    { id: "obs-traced-2048", a: "mindgw-obs-off", b: "mindgw-traced-2048", c: 32, scenario },
    // The traced pair with the allocator's purge on both sides, as the binary ran before session 21.
    { id: "obs-traced-purging", a: "mindgw-obs-off-purging", b: "mindgw-traced-purging", c: 32, scenario },
    // Issue 13 split in two: tracing configured with nothing sampled (`always_off`) against both
    // off (what a traced process costs), and every request traced against it (what spans cost).
    { id: "obs-always-off", a: "mindgw-obs-off", b: "mindgw-always-off", c: 32, scenario },
    { id: "always-off-traced", a: "mindgw-always-off", b: "mindgw-traced", c: 32, scenario },
    // The configured tracer alone, metrics on both sides: tracing unset against `always_off` (the
    // SDK loaded and started, each request's trace handles, nothing sampled). `obs-always-off`
    // measures it over both off, so metrics' own spread is in that pair and not in this one.
    { id: "tracer-configured", a: "mindgw", b: "mindgw-always-off", c: 32, scenario },
    // The allocator's purge on (see mindgw-purging in targets.ts) against the default, off.
    { id: "nopurge", a: "mindgw-purging", b: "mindgw", c: 32, scenario },
    // A/A: two gateways of the same build and config; its interval is the harness's noise floor.
    { id: "aa", a: "mindgw-twin", b: "mindgw", c: 32, scenario },
    // What the access line costs: the same gateway with `log.level: warn` (no access line) as a.
    { id: "access-line", a: "mindgw-log-warn", b: "mindgw", c: 32, scenario },
    { id: "shadow", a: "mindgw", b: "mindgw-shadow", c: 32, scenario },
    { id: "shadow-default-cap", a: "mindgw", b: "mindgw-shadow-default-cap", c: 32, scenario },
    // `shadow` is the default (since session 5 every copy from the shadow thread, its pair recorded
    // there); these run every copy on the event loop (MINDGW_SHADOW_THREAD=0) or from the thread
    // (=1, the default's twin), against off and against each other (b ÷ a > 1: the thread helps).
    { id: "shadow-loop", a: "mindgw", b: "mindgw-shadow-loop", c: 32, scenario },
    { id: "shadow-thread", a: "mindgw", b: "mindgw-shadow-thread", c: 32, scenario },
    { id: "shadow-thread-vs-loop", a: "mindgw-shadow-loop", b: "mindgw-shadow-thread", c: 32, scenario },
    // The default (every plain-http call on the lean client, since session 12) against `auto`
    // (the lean client for a run of calls made alone and for streams, `fetch` for the rest).
    { id: "lean", a: "mindgw-auto", b: "mindgw", c: 32, scenario },
    // The lean client's thread for non-stream calls under load (b) against `fetch` there (a, `auto`).
    { id: "thread", a: "mindgw-auto", b: "mindgw-thread", c: 32, scenario },
    // `auto` against `fetch` for every call.
    { id: "auto", a: "mindgw-fetch", b: "mindgw-auto", c: 32, scenario },
    { id: "auto-c1", a: "mindgw-fetch", b: "mindgw-auto", c: 1, scenario },
  ]),
  { id: "worker-c1", a: "mindgw", b: "mindgw-worker", c: 1, scenario: "non-stream" },
  ...(againstBinary
    ? ["non-stream", "stream"].flatMap((scenario) =>
        Object.entries(AGAINST).map(([id, target]) => ({
          id,
          a: `${target}@against`,
          b: target,
          c: 32,
          scenario,
        })),
      )
    : []),
  // Every request traced, both builds, at c=1: what a traced request alone in its turn pays.
  ...(againstBinary
    ? ["non-stream", "stream"].map((scenario) => ({
        id: "against-traced-c1",
        a: "mindgw-traced@against",
        b: "mindgw-traced",
        c: 1,
        scenario,
      }))
    : []),
];

/**
 * One wrk run, and the CPU the target's process spent per request meanwhile (µs): all its
 * threads, and its main thread (the event loop) alone.
 */
type Measured = WrkResult & {
  cpuUsPerRequest: number;
  mainUsPerRequest: number;
  /** CPU seconds per thread name during the run (AB_THREADS=1). */
  threads?: Record<string, number>;
  /** With AB_COUNTS=1: what each thread (by name) did during the run, in all. */
  counts?: Record<string, ThreadCounts>;
  /** With AB_THREADS=1: the process's CPU per request less its JIT compiler threads'. */
  noJitUsPerRequest?: number;
  /** The upstreams' CPU per request meanwhile: the primary's fake, plus the shadow's upstream. */
  upstreamUsPerRequest: number;
  /** For a mirroring target: copies its shadow upstream answered, and copies it shed. */
  copies?: { answered: number; shed: number };
};

export interface Round {
  a: Measured;
  b: Measured;
  /** Which start of the targets (AB_STARTS) the round ran on, from 0. */
  start: number;
}

process.on("SIGINT", () => process.exit(130));
process.on("SIGTERM", () => process.exit(143));

async function main(): Promise<void> {
  const pairs = PAIRS.filter(
    (p) =>
      (onlyPairs === undefined || onlyPairs.includes(p.id)) &&
      (onlyScenarios === undefined || onlyScenarios.includes(p.scenario)),
  );
  const needed = new Set(pairs.flatMap((p) => [p.a, p.b]));
  const workDir = await mkdtemp(join(tmpdir(), "mindgw-bench-ab-"));
  for (const side of ["a", "b"]) await mkdir(join(workDir, side));
  const fake = await startFake();
  const running = new Map<string, RunningTarget>();
  // Every pair's rounds, over all starts (a pair whose targets did not start has none).
  const measured = pairs.map((pair) => ({ pair, rounds: [] as Round[] }));
  try {
    const targets = allTargets(fake.url, fake.pid, existsSync(binary) ? binary : undefined);
    // `mindgw` once more, for the A/A pair.
    if (existsSync(binary)) targets.push(mindgwTarget(fake.url, binary, { name: "mindgw-twin" }));
    // `mindgw` without its access lines, for the `access-line` pair.
    if (existsSync(binary))
      targets.push(
        mindgwTarget(fake.url, binary, { name: "mindgw-log-warn", extraYaml: "log: { level: warn }" }),
      );
    if (againstBinary)
      for (const target of allTargets(fake.url, fake.pid, againstBinary))
        if (Object.values(AGAINST).includes(target.name))
          targets.push({ name: `${target.name}@against`, start: () => target.start() });
    for (let start = 0; start < starts; start++) {
      if (starts > 1) console.error(`ab: start ${start + 1} of ${starts}`);
      for (const target of targets.filter((t) => needed.has(t.name))) {
        console.error(`ab: starting ${target.name}`);
        const started = await target.start();
        running.set(target.name, started);
        await preflight(started.url, started.headers);
        await warmUp(target.name, started, SCENARIOS, workDir, { seconds: warmup, maxSeconds: settleMax });
      }
      for (const result of measured) await runPair(result.pair, result.rounds, start);
      for (const t of running.values()) await t.stop();
      running.clear();
    }
    async function runPair(pair: Pair, done: Round[], start: number): Promise<void> {
      const scenario = SCENARIOS.find((s) => s.name === pair.scenario);
      const a = running.get(pair.a);
      const b = running.get(pair.b);
      if (!scenario || !a || !b) return;
      console.error(`ab: ${pair.id} ${pair.scenario} c=${pair.c}: ${pair.a} vs ${pair.b}`);
      // Both sides again, just before their rounds: a process left idle while other pairs ran
      // compiles its code anew once loaded (bench/warm-up.ts), and would pay for it in its rounds.
      for (const [name, side] of [[pair.a, a] as const, [pair.b, b] as const])
        await warmUp(name, side, [scenario], workDir, { seconds: 3, maxSeconds: settleMax });
      const upstreamCpu = async (t: RunningTarget) =>
        (await cpuSeconds(fake.pid)) + (t.shadow ? await cpuSeconds(t.shadow.upstreamPid) : 0);
      const measure = async (t: RunningTarget, side: "a" | "b"): Promise<Measured> => {
        const before = t.pid === undefined ? 0 : await cpuSeconds(t.pid);
        const mainBefore = t.pid === undefined ? 0 : await mainThreadCpuSeconds(t.pid);
        const threadsBefore = byThread && t.pid !== undefined ? await threadCpuSeconds(t.pid) : undefined;
        const upstreamBefore = await upstreamCpu(t);
        const copiesBefore = await t.shadow?.counts();
        const counting = byCount && t.pid !== undefined ? await countThreads(t.pid) : undefined;
        const run = await runWrk({
          baseUrl: t.url,
          headers: t.headers,
          scenario,
          connections: pair.c,
          seconds,
          // Each side's own wrk script (AB_TOGETHER runs both at once, each with its own key).
          workDir: join(workDir, side),
        });
        const counts = await counting?.stop();
        // A refused or failed request is cheap: counted in, it would flatter its side.
        if (run.status_errors > 0)
          throw new Error(
            `${pair.id}: ${run.status_errors} non-2xx answers from ${side === "a" ? pair.a : pair.b}`,
          );
        const spent = t.pid === undefined ? Number.NaN : (await cpuSeconds(t.pid)) - before;
        const main = t.pid === undefined ? Number.NaN : (await mainThreadCpuSeconds(t.pid)) - mainBefore;
        const upstream = (await upstreamCpu(t)) - upstreamBefore;
        const copiesAfter = await t.shadow?.counts();
        const per = (seconds: number) => (seconds * 1e6) / Math.max(1, run.requests);
        const threadsAfter = threadsBefore && t.pid !== undefined ? await threadCpuSeconds(t.pid) : undefined;
        const threads =
          threadsBefore && threadsAfter ? threadCpuSpent(threadsBefore, threadsAfter, spent) : undefined;
        return {
          ...run,
          cpuUsPerRequest: per(spent),
          mainUsPerRequest: per(main),
          ...(threads ? { threads, noJitUsPerRequest: per(spent - (threads.JITWorker ?? 0)) } : {}),
          upstreamUsPerRequest: per(upstream),
          ...(counts ? { counts } : {}),
          ...(copiesBefore && copiesAfter
            ? {
                copies: {
                  answered: copiesAfter.answered - copiesBefore.answered,
                  shed: copiesAfter.shed - copiesBefore.shed,
                },
              }
            : {}),
        };
      };
      for (let r = 0; r < rounds; r++) {
        if (together) {
          // Both sides loaded at once, each by its own wrk: every moment's load hits both.
          const [ra, rb] = await Promise.all([measure(a, "a"), measure(b, "b")]);
          done.push({ a: ra, b: rb, start });
          continue;
        }
        // A B, then B A: whichever side goes second in a round does not always win the drift.
        if (r % 2 === 0) {
          const ra = await measure(a, "a");
          done.push({ a: ra, b: await measure(b, "b"), start });
        } else {
          const rb = await measure(b, "b");
          done.push({ a: await measure(a, "a"), b: rb, start });
        }
      }
    }
  } finally {
    for (const t of running.values()) await t.stop();
    await fake.stop();
    await rm(workDir, { recursive: true, force: true });
  }
  const results = measured.filter((result) => result.rounds.length > 0);
  const out = [
    `## Interleaved A/B (${rounds} rounds × ${seconds} s each side, Bun ${Bun.version})`,
    "",
    "Per round: b ÷ a req/s and b − a latency; median (min–max) over the rounds.",
    "",
    "CPU µs/req: the target process's user+system CPU per request during its runs (all rounds pooled);",
    "a ÷ b of it is the throughput ratio the feature allows when the gateway is CPU-bound, and it",
    "holds steady on a loaded machine where req/s does not. Main µs/req: the same for the main",
    "thread (the event loop) alone, without the audit writer's and the trace exporter's threads.",
    "",
    "| pair | scenario | c | a | b | a req/s | b req/s | b ÷ a | +p50 ms | +p99 ms | a CPU µs/req | b CPU µs/req | a ÷ b CPU | a main µs/req | b main µs/req |",
    "| --- | --- | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const { pair, rounds: rs } of results) {
    const ratio = rs.map((r) => r.b.rps / r.a.rps);
    const dp50 = rs.map((r) => (r.b.p50 - r.a.p50) / 1000);
    const dp99 = rs.map((r) => (r.b.p99 - r.a.p99) / 1000);
    // Pooled: total CPU over total requests, so short noisy rounds weigh by their size.
    const pooled = (side: "a" | "b", measure: "cpuUsPerRequest" | "mainUsPerRequest" = "cpuUsPerRequest") =>
      rs.reduce((sum, r) => sum + r[side][measure] * r[side].requests, 0) /
      Math.max(
        1,
        rs.reduce((sum, r) => sum + r[side].requests, 0),
      );
    const cpuA = pooled("a");
    const cpuB = pooled("b");
    out.push(
      `| ${pair.id} | ${pair.scenario} | ${pair.c} | ${pair.a} | ${pair.b} | ${median(rs.map((r) => r.a.rps)).toFixed(0)} | ${median(rs.map((r) => r.b.rps)).toFixed(0)} | ${stat(ratio, 3)} | ${stat(dp50, 3)} | ${stat(dp99, 3)} | ${cpuA.toFixed(1)} | ${cpuB.toFixed(1)} | ${(cpuA / cpuB).toFixed(3)} | ${pooled("a", "mainUsPerRequest").toFixed(1)} | ${pooled("b", "mainUsPerRequest").toFixed(1)} |`,
    );
  }
  out.push("", ...intervalTable(results));
  if (starts > 1) out.push("", ...startTable(results));
  if (byThread) out.push("", ...threadTable(results));
  if (byCount) out.push("", ...countTable(results));
  const mirrored = results.filter(({ rounds: rs }) => rs.some((r) => r.b.copies));
  if (mirrored.length > 0) {
    out.push(
      "",
      "Shadow copies (issue 15): requests b served, copies its shadow upstream answered and copies it shed",
      "(all rounds); a ratio reached by shedding does not count the shadow's work. Upstream CPU µs/req: the",
      "fakes' CPU per request (the primary's, plus the shadow's for b), which shares the machine's cores.",
      "",
      "| pair | scenario | b requests | copies answered | copies shed | shed share | a upstream µs/req | b upstream µs/req |",
      "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    );
    for (const { pair, rounds: rs } of mirrored) {
      const sum = (f: (r: Round) => number) => rs.reduce((total, r) => total + f(r), 0);
      const requests = sum((r) => r.b.requests);
      const answered = sum((r) => r.b.copies?.answered ?? 0);
      const shed = sum((r) => r.b.copies?.shed ?? 0);
      const upstream = (side: "a" | "b") => upstreamPerRequest(rs, side).toFixed(1);
      out.push(
        `| ${pair.id} | ${pair.scenario} | ${requests} | ${answered} | ${shed} | ${((100 * shed) / Math.max(1, answered + shed)).toFixed(1)} % | ${upstream("a")} | ${upstream("b")} |`,
      );
    }
  }
  const markdown = `${out.join("\n")}\n`;
  const outDir = join(ROOT, ".bench-out");
  await mkdir(outDir, { recursive: true });
  const at = new Date().toISOString().replaceAll(":", "-");
  await writeFile(join(outDir, `ab-${at}.json`), `${JSON.stringify(results, null, 2)}\n`);
  console.log(markdown);
}

/**
 * Each round's ratios (b ÷ a req/s; a ÷ b CPU per request, process and main thread) as a
 * geometric mean with its 95 % confidence interval over the rounds. The rounds are paired (A B,
 * then B A, seconds apart), so load that drifts between rounds cancels within each ratio; what is
 * left is the interval, which says whether a 1 % difference is resolved.
 */
function intervalTable(results: { pair: Pair; rounds: Round[] }[]): string[] {
  const lines = [
    "Per-round ratios: geometric mean (95 % confidence interval over the rounds). A ratio whose",
    "interval excludes 0.99 is resolved at 1 %; an A/A pair (`aa`) shows the harness's own spread.",
    "The last column: rounds the req/s and the main-thread ratios would need at this spread for a ±1 %",
    "interval (a difference of ~1 % is resolved only with about that many).",
    "",
    `| pair | scenario | rounds | b ÷ a req/s | a ÷ b CPU µs/req | a ÷ b main-thread µs/req |${byThread ? " a ÷ b CPU less JIT threads |" : ""} rounds for ±1 %: req/s, main |`,
    `| --- | --- | ---: | ---: | ---: | ---: |${byThread ? " ---: |" : ""} ---: |`,
  ];
  for (const { pair, rounds: rs } of results) {
    const ci = (f: (r: Round) => number) => formatInterval(ratioInterval(rs.map(f)));
    // JIT compilation still running in one process and not the other is warm-up, not a request's cost.
    const noJit = byThread
      ? ` ${ci((r) => (r.a.noJitUsPerRequest ?? Number.NaN) / (r.b.noJitUsPerRequest ?? Number.NaN))} |`
      : "";
    const needed = `${roundsToResolve(rs.map((r) => r.b.rps / r.a.rps))}, ${roundsToResolve(rs.map((r) => r.a.mainUsPerRequest / r.b.mainUsPerRequest))}`;
    lines.push(
      `| ${pair.id} | ${pair.scenario} | ${rs.length} | ${ci((r) => r.b.rps / r.a.rps)} | ${ci((r) => r.a.cpuUsPerRequest / r.b.cpuUsPerRequest)} | ${ci((r) => r.a.mainUsPerRequest / r.b.mainUsPerRequest)} |${noJit} ${needed} |`,
    );
  }
  return lines;
}

/** The fake upstreams' CPU µs per request on one side, pooled over the rounds (weighted by requests). */
function upstreamPerRequest(rs: Round[], side: "a" | "b"): number {
  const requests = rs.reduce((sum, r) => sum + r[side].requests, 0);
  return (
    rs.reduce((sum, r) => sum + r[side].upstreamUsPerRequest * r[side].requests, 0) / Math.max(1, requests)
  );
}

/** CPU µs per request by thread name, pooled over the rounds, a → b, for threads above 0.5 µs. */
function threadTable(results: { pair: Pair; rounds: Round[] }[]): string[] {
  const lines = ["| pair | scenario | thread | a µs/req | b µs/req |", "| --- | --- | --- | ---: | ---: |"];
  for (const { pair, rounds: rs } of results) {
    const perRequest = (side: "a" | "b", name: string) =>
      (rs.reduce((sum, r) => sum + (r[side].threads?.[name] ?? 0), 0) * 1e6) /
      Math.max(
        1,
        rs.reduce((sum, r) => sum + r[side].requests, 0),
      );
    const names = new Set(
      rs.flatMap((r) => [...Object.keys(r.a.threads ?? {}), ...Object.keys(r.b.threads ?? {})]),
    );
    for (const name of [...names].sort()) {
      const a = perRequest("a", name);
      const b = perRequest("b", name);
      if (a >= 0.5 || b >= 0.5)
        lines.push(`| ${pair.id} | ${pair.scenario} | ${name} | ${a.toFixed(1)} | ${b.toFixed(1)} |`);
    }
    // The fake upstream shares the machine's two cores: what a side costs it, by what it sends
    // or by the cores it takes (session 26: not the traced side's `traceparent`), slows the
    // gateway's requests a second as surely as the gateway's own threads do.
    lines.push(
      `| ${pair.id} | ${pair.scenario} | (fake upstream process) | ${upstreamPerRequest(rs, "a").toFixed(1)} | ${upstreamPerRequest(rs, "b").toFixed(1)} |`,
    );
  }
  return lines;
}

/** System calls, context switches, page faults and wakes made per request by thread name, pooled, a → b. */
function countTable(results: { pair: Pair; rounds: Round[] }[]): string[] {
  const lines = [
    "Per request, by thread (perf stat, all rounds pooled): system calls, context switches, page faults, wake-ups of other threads made, a → b.",
    "",
    "| pair | scenario | thread | syscalls a → b | switches a → b | faults a → b | wakes a → b |",
    "| --- | --- | --- | ---: | ---: | ---: | ---: |",
  ];
  for (const { pair, rounds: rs } of results) {
    const requests = (side: "a" | "b") =>
      Math.max(
        1,
        rs.reduce((sum, r) => sum + r[side].requests, 0),
      );
    const perRequest = (side: "a" | "b", name: string, field: keyof ThreadCounts) =>
      rs.reduce((sum, r) => sum + (r[side].counts?.[name]?.[field] ?? 0), 0) / requests(side);
    const names = new Set(
      rs.flatMap((r) => [...Object.keys(r.a.counts ?? {}), ...Object.keys(r.b.counts ?? {})]),
    );
    for (const name of [...names].sort()) {
      const cell = (field: keyof ThreadCounts) =>
        `${perRequest("a", name, field).toFixed(2)} → ${perRequest("b", name, field).toFixed(2)}`;
      const most = Math.max(perRequest("a", name, "syscalls"), perRequest("b", name, "syscalls"));
      if (most >= 0.01)
        lines.push(
          `| ${pair.id} | ${pair.scenario} | ${name} | ${cell("syscalls")} | ${cell("switches")} | ${cell("faults")} | ${cell("wakes")} |`,
        );
    }
  }
  return lines;
}

await main().then(
  () => process.exit(0),
  (e: Error) => {
    console.error(e.stack ?? e.message);
    process.exit(1);
  },
);
