/**
 * Benchmarks mindgw against the fake upstream directly and behind a bare Bun proxy, and mindgw
 * through a worker tunnel (`mindgw-worker`) against its direct `openai` route (`mindgw`).
 *   bun run build && bun bench/run.ts
 * Environment: BENCH_SECONDS (10), BENCH_WARMUP (2), BENCH_TTFB_N (200), BENCH_CONCURRENCY ("1,32"),
 * BENCH_TARGETS (comma list, default all), BENCH_REVERSE ("1": targets in reverse order),
 * MINDGW_BIN (dist/mindgw), MINDGW_BENCH_KEY (client key).
 * Targets: direct, bare-proxy, mindgw, mindgw-worker (compiled binary) and embedded-auth-off,
 * embedded-auth-on, embedded-audit-off, embedded-audit-on (library form, bench/embedded-gateway.ts).
 * Writes the markdown report to .bench-out/latest.md (and latest.json) and prints it.
 */
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { type BenchReport, renderReport } from "./report.ts";
import { preflight, SCENARIOS, STREAM_SCENARIO } from "./scenarios.ts";
import { rssKib } from "./service.ts";
import type { Target } from "./target.ts";
import { allTargets, startFake } from "./targets.ts";
import { measureTtfb } from "./ttfb.ts";
import { runWrk } from "./wrk.ts";

const ROOT = join(import.meta.dir, "..");
const env = (name: string, fallback: string) => process.env[name] ?? fallback;
const seconds = Number(env("BENCH_SECONDS", "10"));
const warmup = Number(env("BENCH_WARMUP", "2"));
const ttfbN = Number(env("BENCH_TTFB_N", "200"));
const concurrencies = env("BENCH_CONCURRENCY", "1,32").split(",").map(Number);
const only = process.env.BENCH_TARGETS?.split(",").map((s) => s.trim());
const mindgwBin = env("MINDGW_BIN", join(ROOT, "dist/mindgw"));

const streamScenario = STREAM_SCENARIO;

process.on("SIGINT", () => process.exit(130));
process.on("SIGTERM", () => process.exit(143));

function targetsFor(fakeUrl: string, fakePid: number): Target[] {
  if (!existsSync(mindgwBin)) {
    console.error(`bench: ${mindgwBin} not found (run \`bun run build\`); skipping the mindgw targets`);
  }
  const key = process.env.MINDGW_BENCH_KEY;
  const targets = allTargets(fakeUrl, fakePid, existsSync(mindgwBin) ? mindgwBin : undefined, key);
  const chosen = only ? targets.filter((t) => only.includes(t.name)) : targets;
  // Repeated runs alternate the order, so a drift in machine load does not always favour
  // the same side of an on/off pair.
  return process.env.BENCH_REVERSE === "1" ? chosen.reverse() : chosen;
}

async function benchTarget(target: Target, report: BenchReport, workDir: string): Promise<void> {
  console.error(`bench: ${target.name}`);
  const running = await target.start();
  const rss: BenchReport["rss"][number] = { target: target.name };
  const workerRss: BenchReport["rss"][number] = { target: `${target.name} (worker process)` };
  const sampleWorker = async (key: "start" | "warm" | "end") => {
    if (running.workerPid !== undefined) workerRss[key] = await rssKib(running.workerPid);
  };
  try {
    if (running.pid !== undefined) rss.start = await rssKib(running.pid);
    await sampleWorker("start");
    await preflight(running.url, running.headers);
    for (const scenario of SCENARIOS) {
      const base = { baseUrl: running.url, headers: running.headers, scenario, workDir };
      await runWrk({ ...base, connections: 8, seconds: warmup });
    }
    if (running.pid !== undefined) rss.warm = await rssKib(running.pid);
    await sampleWorker("warm");
    for (const scenario of SCENARIOS) {
      for (const connections of concurrencies) {
        const row = { scenario: scenario.name, connections, target: target.name };
        const base = { baseUrl: running.url, headers: running.headers, scenario, workDir };
        await runWrk({ ...base, connections, seconds }).then(
          (result) => report.load.push({ ...row, result }),
          (e: Error) => report.load.push({ ...row, error: e.message.split("\n")[0] ?? "" }),
        );
      }
    }
    await measureTtfb(running.url, running.headers, streamScenario, ttfbN).then(
      (result) => report.ttfb.push({ target: target.name, result }),
      (e: Error) => report.ttfb.push({ target: target.name, error: e.message }),
    );
    if (running.pid !== undefined) rss.end = await rssKib(running.pid);
    await sampleWorker("end");
  } finally {
    report.rss.push(rss);
    if (running.workerPid !== undefined) report.rss.push(workerRss);
    await running.stop();
  }
}

async function main(): Promise<void> {
  const workDir = await mkdtemp(join(tmpdir(), "mindgw-bench-wrk-"));
  const fake = await startFake();
  const report: BenchReport = {
    startedAt: new Date().toISOString(),
    seconds,
    warmupSeconds: warmup,
    machine: `${cpus().length} cores, Bun ${Bun.version}`,
    load: [],
    ttfb: [],
    rss: [],
  };
  try {
    for (const target of targetsFor(fake.url, fake.pid)) {
      await benchTarget(target, report, workDir).catch((e: Error) => {
        console.error(`bench: ${target.name} failed: ${e.message}`);
        report.load.push({
          scenario: "all",
          connections: 0,
          target: target.name,
          error: e.message.split("\n")[0],
        });
      });
    }
  } finally {
    await fake.stop();
    await rm(workDir, { recursive: true, force: true });
  }
  report.load.sort((a, b) => a.scenario.localeCompare(b.scenario) || a.connections - b.connections);
  const markdown = renderReport(report);
  const outDir = join(ROOT, ".bench-out");
  await mkdir(outDir, { recursive: true });
  await writeFile(join(outDir, "latest.md"), markdown);
  const json = `${JSON.stringify(report, null, 2)}\n`;
  await writeFile(join(outDir, "latest.json"), json);
  // Kept per run, for bench/summarize.ts (median and range over repeated runs).
  await writeFile(join(outDir, `run-${report.startedAt.replaceAll(":", "-")}.json`), json);
  console.log(markdown);
}

await main().then(
  () => process.exit(0),
  (e: Error) => {
    console.error(e.stack ?? e.message);
    process.exit(1);
  },
);
