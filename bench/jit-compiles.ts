/**
 * What the JIT does on the request path once the gateway is warm: a gateway checkout from source
 * (`bun src/main.ts serve`: auth, limits, audit, access lines, and tracing every request to the
 * OTLP sink, as bench/targets.ts runs the `mindgw-traced` target) in front of the burst upstream,
 * warmed with both scenarios (wrk -c32, `--warmup` s each), then one steady window of `--seconds`
 * of the scenario under test. JavaScriptCore prints each compile (`BUN_JSC_reportCompileTimes`)
 * and, with `--exits`, each OSR exit (`BUN_JSC_printEachOSRExit`); the tool reports, for the
 * window alone: compiles by tier and function (a DFG or FTL compile after 2 × warmup s of load is
 * optimised code thrown away and redone), the exits by function, site and kind; and over the
 * whole run, the code blocks optimised three times or more. `--tiers` also samples the main
 * thread over the window with JSC's profiler (bench/jit-tier-hook.ts) and prints the gateway's
 * own samples by tier (a hot function in LLInt or Baseline is one the JIT gave up on) and the
 * top functions not in FTL.
 *   bun bench/jit-compiles.ts [--warmup 10] [--seconds 10] [--scenario non-stream|stream]
 *     [--against OTHER_CHECKOUT] [--exits] [--tiers] [--worker [--study gateway]] [--mixed] [--untraced]
 *     [--front openai|anthropic|both] [--top 15]
 * One gateway process per checkout and scenario (the profiler starts once a process: see the
 * hook). `--worker` routes bench-model through a `mindgw worker` of the same checkout and reports
 * the worker process instead (its compiles, exits, tiers; `--study gateway`: the gateway's on that
 * route). `--mixed` warms up with both scenarios
 * at once (wrk -c16 each, 2 × `--warmup` s), as mixed traffic would: one after the other, the
 * switch from non-stream to stream re-optimises every function that sees both (code compiled on
 * 10 s of one kind speculates on its objects' shapes: s18-exits counted 11 worker code blocks
 * optimised three times or more that way, 2 with `--mixed`), which is the warm-up's doing, not
 * the gateway's. `--untraced` runs the gateway with no tracer configured; `--front anthropic` sends
 * both scenarios to the Anthropic front door (`/v1/messages`, translated to the OpenAI upstream).
 * An optimiser-exit storm (thousands of exits at one site, the function recompiled again and
 * again) comes in some runs and not others: repeat a path before calling it clean. `--exits`
 * prints every exit with its registers (~2 KB, unbuffered): in a storm the window's requests and
 * the main thread's samples then mostly measure the printing; judge a storm's cost with `--tiers`
 * alone (the function's chain of compiles shows it). Function names are JSC's `name#hash`
 * (the hash is of the source text: equal in two checkouts when the function did not change).
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { chains, compilesIn, counted, exitsIn } from "./jsc-compile-log.ts";
import { createBenchKey } from "./mindgw-key.ts";
import { startOtlpSink } from "./otlp-sink.ts";
import { frontScenarios, preflight } from "./scenarios.ts";
import { freePort, spawnService, waitForHttp } from "./service.ts";
import { configYaml, DEPLOYED_ENV, startBurst, startWorker } from "./targets.ts";
import { runWrk, type Scenario } from "./wrk.ts";

const ROOT = join(import.meta.dir, "..");
const { values } = parseArgs({
  options: {
    warmup: { type: "string", default: "10" },
    seconds: { type: "string", default: "10" },
    scenario: { type: "string" },
    against: { type: "string" },
    exits: { type: "boolean", default: false },
    tiers: { type: "boolean", default: false },
    worker: { type: "boolean", default: false },
    mixed: { type: "boolean", default: false },
    untraced: { type: "boolean", default: false },
    front: { type: "string", default: "openai" },
    study: { type: "string", default: "worker" },
    top: { type: "string", default: "15" },
  },
});
const warmup = Number(values.warmup);
const seconds = Number(values.seconds);
const top = Number(values.top);
const fronted = frontScenarios(values.front);
const scenarios = fronted.filter((s) => values.scenario === undefined || s.name === values.scenario);
if (scenarios.length === 0) throw new Error(`--scenario: one of ${fronted.map((s) => s.name).join(", ")}`);
if (values.study !== "worker" && values.study !== "gateway") throw new Error("--study: worker or gateway");
/** The process whose JIT is watched: the worker's on the worker route unless told the gateway's. */
const studied = values.worker && values.study === "worker" ? "worker" : "gateway";
const roots = values.against ? [ROOT, resolve(values.against)] : [ROOT];
const jscEnv: Record<string, string> = {
  BUN_JSC_reportCompileTimes: "true",
  ...(values.exits ? { BUN_JSC_printEachOSRExit: "true" } : {}),
};

process.on("SIGINT", () => process.exit(130));
process.on("SIGTERM", () => process.exit(143));

interface Tiers {
  samples: number;
  top: Record<string, number>;
  ours: Record<string, number>;
  byFunction: Record<string, number>;
}

/** One site's exits in the window that make a storm: at least this many, and this share of the requests. */
const STORM_EXITS = 1000;
const STORM_SHARE = 0.02;

const share = (part: number, whole: number) => `${((100 * part) / Math.max(whole, 1)).toFixed(1)} %`;

/** One gateway (and worker) of `root` warmed with both scenarios, then `scenario`'s window; prints the findings. */
async function measure(
  root: string,
  scenario: Scenario,
  upstreamUrl: string,
  sinkUrl: string,
): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "mindgw-jit-"));
  // The config alone in its folder (the gateway watches it), the database under data/.
  await mkdir(join(dir, "config"));
  await mkdir(join(dir, "data"));
  const tierDir = join(dir, "tiers");
  await mkdir(tierDir);
  const port = freePort();
  const config = join(dir, "config", "config.yaml");
  const variant = { name: "jit", via: values.worker ? ("worker" as const) : ("provider" as const) };
  await writeFile(config, configYaml(port, dir, upstreamUrl, variant));
  const source = ["bun", join(root, "src/main.ts")];
  const key = await createBenchKey(source, config);
  const workerKey = values.worker ? await createBenchKey(source, config, "worker") : undefined;
  if (!key || (values.worker && !workerKey)) throw new Error(`${root}: could not create the bench keys`);
  const hook = values.tiers ? ["--preload", join(import.meta.dir, "jit-tier-hook.ts")] : [];
  // The process under study gets the JSC options (and the profiler's hook); the other runs plain.
  const studiedEnv = { ...jscEnv, ...(values.tiers ? { MINDGW_JIT_TIERS: tierDir } : {}) };
  const tracing: Record<string, string> = values.untraced
    ? {}
    : {
        OTEL_EXPORTER_OTLP_ENDPOINT: sinkUrl,
        OTEL_TRACES_SAMPLER: "traceidratio",
        OTEL_TRACES_SAMPLER_ARG: "1.0",
      };
  const gatewayLog = join(dir, "gateway.log");
  const gateway = spawnService(
    ["bun", ...(studied === "gateway" ? hook : []), join(root, "src/main.ts"), "serve", "-c", config],
    // The allocator as the binary runs it (src/cli/allocator-settings.ts; the hook's preload means no restart).
    {
      stderrPath: gatewayLog,
      env: { ...DEPLOYED_ENV, ...tracing, ...(studied === "gateway" ? studiedEnv : {}) },
    },
  );
  const url = `http://127.0.0.1:${port}`;
  const headers = { authorization: `Bearer ${key}` };
  const workerLog = join(dir, "worker.log");
  let worker: Awaited<ReturnType<typeof startWorker>> | undefined;
  try {
    await waitForHttp(`${url}/healthz`, 30_000);
    if (workerKey) {
      const command = ["bun", ...(studied === "worker" ? hook : []), join(root, "src/main.ts")];
      const workerEnv = { ...DEPLOYED_ENV, ...(studied === "worker" ? studiedEnv : {}) };
      worker = await startWorker(command, url, workerKey, upstreamUrl, headers, workerLog, workerEnv);
    }
    await preflight(url, headers, fronted);
    if (values.mixed)
      await Promise.all(
        fronted.map((s) =>
          runWrk({ baseUrl: url, headers, scenario: s, connections: 16, seconds: 2 * warmup, workDir: dir }),
        ),
      );
    else
      for (const s of fronted)
        await runWrk({ baseUrl: url, headers, scenario: s, connections: 32, seconds: warmup, workDir: dir });
    const log = studied === "worker" ? workerLog : gatewayLog;
    const from = Bun.file(log).size;
    if (values.tiers) await writeFile(join(tierDir, "start"), "");
    const run = await runWrk({ baseUrl: url, headers, scenario, connections: 32, seconds, workDir: dir });
    if (values.tiers) await writeFile(join(tierDir, "stop"), "");
    const all = await Bun.file(log).text();
    const tiers = values.tiers ? await tiersWritten(join(tierDir, "tiers.json")) : undefined;
    report(root, scenario.name, run.requests, all.slice(0, from), all.slice(from), tiers);
  } finally {
    await worker?.stop();
    await gateway.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

async function tiersWritten(path: string): Promise<Tiers> {
  const deadline = Date.now() + 30_000;
  while (!(await Bun.file(path).exists())) {
    if (Date.now() > deadline) throw new Error(`the tier hook wrote no ${path}`);
    await Bun.sleep(100);
  }
  return (await Bun.file(path).json()) as Tiers;
}

function report(
  root: string,
  scenario: string,
  requests: number,
  before: string,
  window: string,
  tiers?: Tiers,
): void {
  const inWindow = compilesIn(window);
  const byTier = counted(inWindow, (c) => c.tier);
  console.log(
    `\n== ${root === ROOT ? "this" : root}, ${values.front} ${scenario}${values.untraced ? " untraced" : ""}${values.worker ? " via the worker" : ""}, the ${studied}: ${requests} requests in the window`,
  );
  console.log(`compiles in the window: ${byTier.map(([tier, n]) => `${n} ${tier}`).join(", ") || "none"}`);
  const optimized = inWindow.filter((c) => c.tier !== "Baseline");
  for (const [fn, n] of counted(optimized, (c) => `${c.fn} (${c.bytecodes} bc) ${c.tier}`).slice(0, top))
    console.log(`  ${String(n).padStart(3)}  ${fn}`);
  const redone = chains(compilesIn(before + window)).filter((c) => c.optimized >= 3);
  console.log(`code blocks optimised 3 times or more over the run (warm-up included): ${redone.length}`);
  for (const c of redone.slice(0, top)) console.log(`  ${c.fn} (${c.bytecodes} bc): ${c.tiers.join(" ")}`);
  if (values.exits) {
    const exits = exitsIn(window);
    console.log(`OSR exits in the window: ${exits.length} (${share(exits.length, requests)} of requests)`);
    const bySite = counted(exits, (e) => `${e.fn} ${e.from} ${e.site} ${e.kind}`);
    for (const [site, n] of bySite.slice(0, top)) console.log(`  ${String(n).padStart(5)}  ${site}`);
    // A site that exits on a share of all requests is code the JIT keeps compiling wrong (the
    // session-17 storm: 6,551 at one call, 46 % of the window's requests); a few dozen are not.
    const storms = bySite.filter(([, n]) => n >= Math.max(STORM_EXITS, requests * STORM_SHARE));
    console.log(`exit storms: ${storms.map(([site, n]) => `${n} ${site}`).join("; ") || "none"}`);
  }
  if (tiers) {
    const ours = Object.values(tiers.ours).reduce((a, b) => a + b, 0);
    const tierShares = Object.entries(tiers.ours).map(([tier, n]) => `${tier} ${share(n, ours)}`);
    console.log(
      `main-thread samples: ${tiers.samples}; the ${studied}'s own code ${ours}: ${tierShares.join(", ")}`,
    );
    const cold = Object.entries(tiers.byFunction)
      .filter(([name]) => !name.startsWith("FTL "))
      .sort((a, b) => b[1] - a[1]);
    for (const [name, n] of cold.slice(0, top)) console.log(`  ${String(n).padStart(5)}  ${name}`);
  }
}

async function main(): Promise<void> {
  const upstream = await startBurst();
  const sink = await startOtlpSink();
  try {
    for (const scenario of scenarios)
      for (const root of roots) await measure(root, scenario, upstream.url, sink.url);
  } finally {
    await sink.stop();
    await upstream.stop();
  }
}

await main();
