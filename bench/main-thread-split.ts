/**
 * Where a traced gateway's event loop spends its extra time, by the kind of code it runs: the
 * compiled binary both off (`mindgw-obs-off`) and with every request traced and exported
 * (`mindgw-traced`, as bench/ab.ts runs them), each warmed, then alternated rounds (A B B A …) of
 * `wrk -c32` while `perf record` samples the main thread alone. Each side's samples are split by
 * the object their code is in — JavaScript the JIT compiled (`[JIT]`), Bun's and JavaScriptCore's
 * native code (the binary), the kernel, libc, the vDSO's clock reads — and printed as CPU µs a
 * request, per round and as the medians' difference. A profile by function (`--cpu-prof`) counts
 * what JavaScript calls by the caller's name and misses what a change costs everything else; this
 * says whether the extra is JavaScript, native code or system calls (the binary is stripped and
 * JavaScriptCore writes no perf map here, so the split stops at objects).
 *   bun bench/main-thread-split.ts [--seconds 4] [--rounds 2] [--warmup 10] [--stream] [--binary dist/mindgw] [--pin]
 * `--pin` gives each gateway's main thread core 0 alone once warm, its other threads core 1; run
 * the script itself under `taskset -c 1` so that wrk, the fake and the collector stand-in start
 * there too: what the loop pays with no other work sharing its core's caches.
 * Needs `perf` (cpu-clock sampling; no hardware counters on this virtual machine) and `taskset`.
 * Session 24's runs: docs/BENCHMARKS-HISTORY.md, "Session 24: the lead".
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { GATEWAY_CORE, OTHER_CORES, pin, pinThread } from "./cpu-pin.ts";
import { SCENARIOS } from "./scenarios.ts";
import { median } from "./stats.ts";
import type { RunningTarget } from "./target.ts";
import { allTargets, startFake } from "./targets.ts";
import { warmUp } from "./warm-up.ts";
import { runWrk, type Scenario } from "./wrk.ts";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "4" },
    rounds: { type: "string", default: "2" },
    warmup: { type: "string", default: "10" },
    stream: { type: "boolean", default: false },
    binary: { type: "string", default: "dist/mindgw" },
    pin: { type: "boolean", default: false },
  },
});
const chosen = SCENARIOS[values.stream ? 1 : 0];
if (!chosen) throw new Error("no scenario");
const scenario: Scenario = chosen;
const binary = resolve(values.binary);
const HZ = 1999;
const KINDS = ["JIT", "native", "kernel", "libc", "vDSO", "other"] as const;
type Kind = (typeof KINDS)[number];

/** The kind of code in an object `perf report --sort dso` names. */
function kindOf(dso: string): Kind {
  if (dso.startsWith("[JIT]")) return "JIT";
  if (dso === "[kernel.kallsyms]") return "kernel";
  if (dso === "[vdso]") return "vDSO";
  if (dso.startsWith("libc.") || dso.startsWith("libm.")) return "libc";
  if (dso === basename(binary)) return "native";
  return "other";
}

/** Samples by kind in a `perf record` file. */
async function samplesByKind(file: string): Promise<Map<Kind, number>> {
  const report = Bun.spawn(
    ["perf", "report", "-i", file, "--no-children", "--sort", "dso", "--stdio", "-F", "sample,dso"],
    { stdout: "pipe", stderr: "ignore" },
  );
  const text = await new Response(report.stdout).text();
  await report.exited;
  const counts = new Map<Kind, number>();
  for (const line of text.split("\n")) {
    const match = /^\s*(\d+)\s+(.+?)\s*$/.exec(line);
    if (!match || line.trimStart().startsWith("#")) continue;
    const kind = kindOf(match[2] as string);
    counts.set(kind, (counts.get(kind) ?? 0) + Number(match[1]));
  }
  return counts;
}

/** A gateway's main thread: its process id (a target with none cannot be sampled or pinned). */
function mainThreadOf(target: RunningTarget): number {
  if (target.pid === undefined) throw new Error("the target has no process of its own");
  return target.pid;
}

/** The main thread's CPU µs a request by kind, over one round of load. */
async function sampledRound(
  target: RunningTarget,
  file: string,
  workDir: string,
): Promise<Map<Kind, number>> {
  const perf = Bun.spawn(
    ["perf", "record", "-q", "-F", String(HZ), "-t", String(mainThreadOf(target)), "-o", file],
    {
      stdout: "ignore",
      stderr: "ignore",
    },
  );
  // The load starts once perf has opened its output: it has attached to the thread by then.
  const deadline = Date.now() + 5000;
  while (!(await Bun.file(file).exists())) {
    if (Date.now() > deadline) throw new Error("perf record did not start");
    await Bun.sleep(20);
  }
  const load = await runWrk({
    baseUrl: target.url,
    headers: target.headers,
    scenario,
    connections: 32,
    seconds: Number(values.seconds),
    workDir,
  });
  perf.kill("SIGINT");
  await perf.exited;
  const samples = await samplesByKind(file);
  const perRequest = new Map<Kind, number>();
  for (const kind of KINDS) perRequest.set(kind, ((samples.get(kind) ?? 0) / HZ / load.requests) * 1e6);
  return perRequest;
}

const dir = await mkdtemp(join(tmpdir(), "main-thread-split-"));
const fake = await startFake();
const sides: { name: string; target: RunningTarget; rounds: Map<Kind, number>[] }[] = [];
try {
  // The two sides exactly as bench/ab.ts's `obs-traced` pair starts them.
  for (const name of ["mindgw-obs-off", "mindgw-traced"]) {
    const target = allTargets(fake.url, fake.pid, binary).find((t) => t.name === name);
    if (!target) throw new Error(`no target ${name}`);
    sides.push({ name, target: await target.start(), rounds: [] });
  }
  // `--warmup` seconds of load each, as before; no waiting for the JIT to settle (maxSeconds 0).
  for (const side of sides)
    await warmUp(side.name, side.target, [scenario], dir, { seconds: Number(values.warmup), maxSeconds: 0 });
  if (values.pin)
    for (const side of sides) {
      // Every thread of the gateway on the other cores, then its main thread alone on core 0 (a
      // thread's affinity is its own).
      pin([mainThreadOf(side.target)], OTHER_CORES);
      pinThread(mainThreadOf(side.target), GATEWAY_CORE);
    }
  const row = (label: string, byKind: (kind: Kind) => number) =>
    `| ${label} | ${KINDS.map((kind) => byKind(kind).toFixed(1)).join(" | ")} | ${KINDS.reduce((sum, kind) => sum + byKind(kind), 0).toFixed(1)} |`;
  console.log(`${scenario.name}, c=32: the main thread's CPU µs a request, by the code it ran`);
  console.log(`| round | ${KINDS.join(" | ")} | all |`);
  console.log(`| --- |${" ---: |".repeat(KINDS.length + 1)}`);
  for (let r = 0; r < Number(values.rounds); r++)
    for (const side of r % 2 === 0 ? sides : [...sides].reverse()) {
      const round = await sampledRound(side.target, join(dir, `${side.name}-${r}.data`), dir);
      side.rounds.push(round);
      console.log(row(`${r + 1}: ${side.name}`, (kind) => round.get(kind) ?? 0));
    }
  const medianOf = (rounds: Map<Kind, number>[], kind: Kind) =>
    median(rounds.map((round) => round.get(kind) ?? 0));
  const [off, traced] = sides;
  if (off && traced) {
    console.log(row(`median: ${off.name}`, (kind) => medianOf(off.rounds, kind)));
    console.log(row(`median: ${traced.name}`, (kind) => medianOf(traced.rounds, kind)));
    console.log(row("traced − off", (kind) => medianOf(traced.rounds, kind) - medianOf(off.rounds, kind)));
  }
} finally {
  for (const side of sides) await side.target.stop();
  await fake.stop();
  await rm(dir, { recursive: true, force: true });
}
process.exit(0);
