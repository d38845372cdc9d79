/**
 * Instructions a request: the compiled gateway under `valgrind --tool=callgrind`, one setting a
 * process, driven from outside valgrind by a client of `--concurrency` requests in flight against
 * the burst upstream (bench/burst-upstream.ts, outside too). Issue 13's ratios by a count that the
 * machine's load does not move, as CPU time is moved (±30 % at load 5–10 on the 2 shared cores).
 *   bun run build && bun bench/instructions.ts [--binary dist/mindgw] [--against OTHER_BINARY]
 *     [--settings off,metrics,traced] [--scenarios non-stream,stream] [--requests 500]
 *     [--warmup 1500] [--instrumented-warmup 100] [--concurrency 4] [--repeats 2]
 *     [--settle 6] [--keep DIR] [--clock-rate 1]
 * Settings: `off` (metrics: { enabled: false }, tracing unset), `metrics` (the default: metrics
 * on, tracing unset), `traced` (metrics on, every request traced and exported over OTLP/HTTP to
 * bench/otlp-sink.ts at ratio 1.0), `parent` (sampled and unsampled windows alternating in
 * one process, `PARENT_WINDOWS`). Per process: `--warmup` requests of each scenario
 * uninstrumented (the JIT tiers up at speed), `--instrumented-warmup` more once callgrind counts
 * (every block translated again), `--settle` s for the last spans to leave, an idle window of
 * `--settle` s (counted, to subtract: timers, the batch delay's wake-ups), then per scenario a
 * window of `--requests` requests and `--settle` s more (a traced window's last batch is exported
 * inside it). A window is callgrind's count between `callgrind_control -z` and `-d`, every
 * thread, less the idle window. `--against` runs every setting on another build too (a change's
 * count, same run). `--keep DIR` keeps the dump files (callgrind_annotate DIR/<setting>-<repeat>/cg.*).
 * One process at a time: two under valgrind at load 16 slowed the first instrumented requests
 * past the upstream client's timeout (502s).
 * What a count does not capture: cache and branch misses, time in the kernel (system calls are
 * the kernel's instructions, not the guest's), waits, and how the threads share the 2 cores (the
 * export thread's count is its work, wherever it ran).
 * How far a count can be trusted (docs/BENCHMARKS-HISTORY.md, session 18): not to 1 %. A request
 * under callgrind takes ~40× its time, so what the gateway does by the clock (collections, the
 * JIT's compiles, timers, a batch's delay) falls ~40× as often a request as at full speed, and
 * when it lands decides a window's count: identical windows in one process were 20 % apart on the
 * main thread, the export thread counted ~8× its full-speed share. `--clock-rate 0.025` with
 * 1,024 requests a window brought like windows to 3–4 % apart. Use it for counts that are large
 * against that (a change that doubles a path), not yet for issue 13's 1 %.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { type Callgrind, startUnderCallgrind, type ThreadCount } from "./callgrind.ts";
import { createBenchKey } from "./mindgw-key.ts";
import { startOtlpSink } from "./otlp-sink.ts";
import { SCENARIOS } from "./scenarios.ts";
import { freePort, waitForHttp } from "./service.ts";
import { configYaml, startBurst } from "./targets.ts";
import type { Scenario } from "./wrk.ts";

const ROOT = join(import.meta.dir, "..");
/**
 * The audit thread writes its rows (and the access lines) every `flush_ms`: at full speed 100 ms
 * holds hundreds of requests, under callgrind two or three, and a flush's own cost a request then
 * follows the machine's load. 10 s, the most the config takes, is nearer full speed's batches.
 */
const AUDIT_BY_SIZE = "audit: { flush_ms: 10000 }\n";
/**
 * Code that has not run for some seconds is let go at a collection (its "old age") and compiled
 * again when next called. Under callgrind a request takes ~40× its time, so the hot path's code
 * aged out between requests and the JIT thread compiled again and again (210–800 k instructions
 * a request). At full speed hot code never ages out; this keeps it so under valgrind too (the JIT
 * thread ~50 k a request after it; what it compiles then is not known).
 */
const JSC_STEADY: Record<string, string> = { BUN_JSC_forceCodeBlockLiveness: "1" };
const { values } = parseArgs({
  options: {
    binary: { type: "string", default: join(ROOT, "dist/mindgw") },
    against: { type: "string" },
    settings: { type: "string", default: "off,metrics,traced" },
    scenarios: { type: "string", default: "non-stream,stream" },
    requests: { type: "string", default: "500" },
    warmup: { type: "string", default: "1500" },
    "instrumented-warmup": { type: "string", default: "100" },
    concurrency: { type: "string", default: "4" },
    repeats: { type: "string", default: "2" },
    settle: { type: "string", default: "6" },
    keep: { type: "string" },
    "clock-rate": { type: "string", default: "1" },
  },
});
const requests = Number(values.requests);
/**
 * `--clock-rate R` (say 0.025): the gateway's clocks run at R× real time (libfaketime, preloaded),
 * so that what it does by the clock falls a request as at full speed rather than ~40× as often.
 * Its timers and delays then last 1/R× as long in real time: the audit flush is left at its
 * default, and a traced window should hold a whole number of 512-span batches.
 */
const clockRate = Number(values["clock-rate"]);
const FAKETIME_LIB = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1";
const slowClock: Record<string, string> =
  clockRate === 1 ? {} : { LD_PRELOAD: FAKETIME_LIB, FAKETIME: `+0 x${clockRate}` };
const warmup = Number(values.warmup);
const instrumentedWarmup = Number(values["instrumented-warmup"]);
const concurrency = Number(values.concurrency);
const settleMs = Number(values.settle) * 1000;
const scenarios = values.scenarios.split(",").map((name) => {
  const scenario = SCENARIOS.find((s) => s.name === name);
  if (!scenario) throw new Error(`--scenarios: ${SCENARIOS.map((s) => s.name).join(", ")}`);
  return scenario;
});
const SETTINGS = ["off", "metrics", "traced", "parent"] as const;
type Setting = (typeof SETTINGS)[number];
const settings = values.settings.split(",").map((name) => {
  if (!(SETTINGS as readonly string[]).includes(name)) throw new Error(`--settings: ${SETTINGS.join(", ")}`);
  return name as Setting;
});
const builds = [{ label: "this", binary: values.binary }];
if (values.against) builds.push({ label: "against", binary: values.against });

/** The windows of a process: one a scenario, without headers of their own. */
const PLAIN_WINDOWS = [{ label: "", headers: {} }];
/**
 * `--settings parent`: tracing configured with `parentbased_always_on`, and each scenario's
 * windows alternate requests whose `traceparent` says not sampled (flags 00: the tracer's handles,
 * no span) and sampled (01: both spans written and exported), twice: the two unsampled windows
 * (or the two sampled) are one process's A/A, which leaves out what differs between processes
 * (session 18: it was still 20 % on the main thread).
 */
const trace = "4bf92f3577b34da6a3ce929d0e0e4736";
const parentHeader = (flags: string) => ({ traceparent: `00-${trace}-00f067aa0ba902b7-${flags}` });
const PARENT_WINDOWS = [
  { label: "/unsampled", headers: parentHeader("00") },
  { label: "/sampled", headers: parentHeader("01") },
  { label: "/unsampled", headers: parentHeader("00") },
  { label: "/sampled", headers: parentHeader("01") },
];

/** Sends `count` requests of `scenario`, `concurrency` at a time, each read to its end; throws on a non-200. */
async function drive(url: string, headers: Record<string, string>, scenario: Scenario, count: number) {
  const body = JSON.stringify(scenario.body);
  let sent = 0;
  const lane = async () => {
    while (sent < count) {
      sent++;
      const res = await fetch(`${url}${scenario.path}`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body,
      });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`${scenario.name}: HTTP ${res.status} ${text.slice(0, 200)}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
}

const total = (threads: readonly ThreadCount[]) => threads.reduce((sum, t) => sum + t.instructions, 0);

/** One window's count per thread, the idle window's per-thread count taken off. */
function lessIdle(window: readonly ThreadCount[], idle: readonly ThreadCount[]): ThreadCount[] {
  return window.map((t) => ({
    ...t,
    instructions: t.instructions - (idle.find((i) => i.thread === t.thread)?.instructions ?? 0),
  }));
}

interface Measured {
  build: string;
  setting: Setting;
  repeat: number;
  scenario: string;
  perRequest: number;
  threads: ThreadCount[];
  idlePerSecond: number;
}

async function measure(build: (typeof builds)[number], setting: Setting, repeat: number, upstream: string) {
  const dir = await mkdtemp(join(tmpdir(), "mindgw-instructions-"));
  const outDir = values.keep ? join(values.keep, `${build.label}-${setting}-${repeat}`) : join(dir, "cg");
  await mkdir(outDir, { recursive: true });
  await mkdir(join(dir, "config"), { recursive: true });
  const port = freePort();
  const config = join(dir, "config", "config.yaml");
  await writeFile(
    config,
    configYaml(port, dir, upstream, {
      name: setting,
      extraYaml: `${clockRate === 1 ? AUDIT_BY_SIZE : ""}${setting === "off" ? "metrics: { enabled: false }\n" : ""}`,
    }),
  );
  const key = await createBenchKey(build.binary, config);
  if (!key) throw new Error(`${build.binary} keys create failed`);
  const headers = { authorization: `Bearer ${key}` };
  const sink =
    setting !== "off" && setting !== "metrics"
      ? await startOtlpSink({ stderrPath: join(dir, "sink.log") })
      : undefined;
  const env: Record<string, string> = {
    ...JSC_STEADY,
    ...slowClock,
    ...(sink
      ? {
          OTEL_EXPORTER_OTLP_ENDPOINT: sink.url,
          ...(setting === "parent"
            ? { OTEL_TRACES_SAMPLER: "parentbased_always_on" }
            : { OTEL_TRACES_SAMPLER: "traceidratio", OTEL_TRACES_SAMPLER_ARG: "1.0" }),
        }
      : {}),
  };
  const gateway: Callgrind = startUnderCallgrind([build.binary, "serve", "-c", config], outDir, {
    env,
    stderrPath: join(dir, "stderr.log"),
  });
  const url = `http://127.0.0.1:${port}`;
  const results: Measured[] = [];
  try {
    await waitForHttp(`${url}/healthz`, 120_000);
    const windows = setting === "parent" ? PARENT_WINDOWS : PLAIN_WINDOWS;
    for (const scenario of scenarios) {
      for (const w of windows)
        await drive(url, { ...headers, ...w.headers }, scenario, warmup / windows.length);
    }
    // Instrumenting starts translating every block again, the JIT's code too: the first requests
    // after it are slower and are not counted.
    await gateway.instrument();
    for (const scenario of scenarios) {
      for (const w of windows) {
        await drive(url, { ...headers, ...w.headers }, scenario, instrumentedWarmup / windows.length);
      }
    }
    await Bun.sleep(settleMs);
    await gateway.zero();
    await Bun.sleep(settleMs);
    const idle = await gateway.dump();
    for (const scenario of scenarios) {
      for (const w of windows) {
        await gateway.zero();
        await drive(url, { ...headers, ...w.headers }, scenario, requests);
        await Bun.sleep(settleMs);
        const threads = lessIdle(await gateway.dump(), idle);
        results.push({
          build: build.label,
          setting,
          repeat,
          scenario: scenario.name + w.label,
          perRequest: total(threads) / requests,
          threads,
          idlePerSecond: total(idle) / (settleMs / 1000),
        });
      }
    }
  } catch (error) {
    process.stderr.write(`${await Bun.file(join(dir, "stderr.log")).text()}\n`);
    throw error;
  } finally {
    gateway.service.output();
    await gateway.service.stop();
    await sink?.stop();
    await rm(dir, { recursive: true, force: true });
  }
  return results;
}

const upstream = await startBurst();
const all: Measured[] = [];
try {
  for (let repeat = 1; repeat <= Number(values.repeats); repeat++) {
    for (const build of builds) {
      for (const setting of settings) {
        const started = Date.now();
        const results = await measure(build, setting, repeat, upstream.url);
        all.push(...results);
        for (const r of results) {
          const busiest = [...r.threads].sort((a, b) => b.instructions - a.instructions).slice(0, 4);
          const named = busiest.map((t) => `${t.name}#${t.thread} ${(t.instructions / requests).toFixed(0)}`);
          process.stderr.write(
            `${r.build} ${r.setting} #${repeat} ${r.scenario}: ${r.perRequest.toFixed(0)} instructions a request (${named.join(", ")}; idle ${r.idlePerSecond.toFixed(0)}/s; ${((Date.now() - started) / 1000).toFixed(0)} s)\n`,
          );
        }
      }
    }
  }
} finally {
  await upstream.stop();
}
const outPath = join(
  ROOT,
  ".bench-out",
  `instructions-${new Date().toISOString().replaceAll(":", "-")}.json`,
);
await mkdir(join(ROOT, ".bench-out"), { recursive: true });
await writeFile(outPath, JSON.stringify({ requests, concurrency, warmup, instrumentedWarmup, all }, null, 1));
printTable(all);
console.log(`\nevery thread's count: ${outPath}`);

/**
 * Per build and scenario: each setting's instructions a request (every repeat), whole process and
 * main thread (the event loop), and `off ÷ setting` of their means: issue 13's throughput ratio
 * if a request's time were its instructions.
 */
function printTable(rows: readonly Measured[]) {
  console.log(
    `\ninstructions a request, less the idle window (${requests} requests a window, c=${concurrency}, warm-up ${warmup} + ${instrumentedWarmup} each)\n`,
  );
  console.log(
    "| build | scenario | setting | whole process (repeats) | off ÷ this | main thread (repeats) | off ÷ this |",
  );
  console.log("| --- | --- | --- | --- | ---: | --- | ---: |");
  const mainOf = (r: Measured) => (r.threads.find((t) => t.thread === 1)?.instructions ?? 0) / requests;
  const wholeOf = (r: Measured) => r.perRequest;
  const mean = (xs: readonly Measured[], f: (r: Measured) => number) =>
    xs.reduce((s, r) => s + f(r), 0) / xs.length;
  for (const r of rows.filter((row) => row.setting === "parent")) {
    const cells = [wholeOf(r).toFixed(0), "", mainOf(r).toFixed(0), ""];
    console.log(`| ${r.build} | ${r.scenario} #${r.repeat} | parent | ${cells.join(" | ")} |`);
  }
  for (const build of builds) {
    for (const scenario of scenarios) {
      const of = (setting: Setting) =>
        rows.filter((r) => r.build === build.label && r.scenario === scenario.name && r.setting === setting);
      const off = of("off");
      for (const setting of settings.filter((s) => s !== "parent")) {
        const these = of(setting);
        const cells = [wholeOf, mainOf].flatMap((f) => [
          these.map((r) => f(r).toFixed(0)).join(", "),
          off.length > 0 ? (mean(off, f) / mean(these, f)).toFixed(4) : "–",
        ]);
        console.log(`| ${build.label} | ${scenario.name} | ${setting} | ${cells.join(" | ")} |`);
      }
    }
  }
}
