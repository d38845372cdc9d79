/**
 * Issue 11's table, in one run: mindgw (the compiled binary, auth + limits + audit on) against
 * the bare Bun proxy and nginx, on two upstreams — the gateway-bound one that writes a whole
 * stream at once (bench/burst-upstream.ts) and the faithful fake (test/fake-upstream) — at c=32
 * (throughput ratios) and c=1 (added latency over direct), plus added time to first token and
 * the worker tunnel against the direct route. Every cell is repeated; figures are
 * min–median–max over the repeats, each repeat measuring all targets in a rotated order.
 *   bun run build && bun bench/ratios.ts
 * Environment: RATIO_SECONDS (5) per wrk run, RATIO_REPEATS (3), RATIO_TTFT_N (200),
 * RATIO_UPSTREAMS (burst,fake), RATIO_TARGETS (direct,bare-proxy,nginx,mindgw,mindgw-worker; also
 * mindgw-auto: `MINDGW_UPSTREAM_CLIENT=auto`, the default until session 12: `fetch` for non-stream calls under load;
 * bare-proxy-deployed: the bare proxy with `MIMALLOC_PURGE_DELAY=-1`, the allocator setting mindgw
 * gives itself, compared with mindgw like for like; mindgw-purging: mindgw with the allocator's
 * purge on, `MIMALLOC_PURGE_DELAY=100`, as Bun runs by default and the binary did before session 21),
 * MINDGW_BIN (dist/mindgw), RATIO_WARMUP (5) seconds of c=32 load per scenario on each target
 * before the first repeat, then more until its JIT has settled (bench/warm-up.ts; RATIO_SETTLE_MAX
 * (120) seconds at most, 0 for none). Writes .bench-out/ratios-<time>.{md,json} and prints the markdown,
 * with each process's CPU µs per request at c=32 (the gateway, and the worker through one).
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { cpuSeconds, machineTicks } from "./cpu-time.ts";
import { nginxTarget } from "./nginx-target.ts";
import { preflight, SCENARIOS, STREAM_SCENARIO } from "./scenarios.ts";
import { spawnService } from "./service.ts";
import type { RunningTarget, Target } from "./target.ts";
import {
  bareProxyTarget,
  DEPLOYED_ENV,
  directTarget,
  mindgwTarget,
  PURGING_ENV,
  startFake,
} from "./targets.ts";
import { measureTtfb } from "./ttfb.ts";
import { warmUp } from "./warm-up.ts";
import { runWrk, type WrkResult } from "./wrk.ts";

const ROOT = join(import.meta.dir, "..");
const env = (name: string, fallback: string) => process.env[name] ?? fallback;
const seconds = Number(env("RATIO_SECONDS", "5"));
const repeats = Number(env("RATIO_REPEATS", "3"));
const ttftN = Number(env("RATIO_TTFT_N", "200"));
const upstreams = env("RATIO_UPSTREAMS", "burst,fake").split(",");
const wanted = env("RATIO_TARGETS", "direct,bare-proxy,nginx,mindgw,mindgw-worker").split(",");
const binary = env("MINDGW_BIN", join(ROOT, "dist/mindgw"));
/** Seconds of load per scenario on each target before any is measured (a 1 s warm-up left one
 * repeat of mindgw at half its speed); then bench/warm-up.ts loads it until its JIT has settled. */
const warmup = Number(env("RATIO_WARMUP", "5"));
const settleMax = Number(env("RATIO_SETTLE_MAX", "120"));

process.on("SIGINT", () => process.exit(130));
process.on("SIGTERM", () => process.exit(143));

interface Upstream {
  name: string;
  url: string;
  pid: number;
  stop(): Promise<void>;
}

async function startUpstream(name: string): Promise<Upstream> {
  if (name === "fake") return { name, ...(await startFake()) };
  const service = spawnService(["bun", join(ROOT, "bench/burst-upstream.ts")]);
  const port = await service.portLine();
  return { name, url: `http://127.0.0.1:${port}`, pid: service.pid, stop: () => service.stop() };
}

/**
 * The targets wanted (RATIO_TARGETS). The plain `mindgw` runs as a bare `mindgw serve` does, so
 * with the allocator keeping freed pages (src/cli/allocator-settings.ts); `bare-proxy-deployed`
 * gives the bare proxy the same, `mindgw-purging` takes it from mindgw.
 */
function targetsFor(upstream: Upstream): Target[] {
  const all: Target[] = [
    directTarget(upstream.url, upstream.pid),
    bareProxyTarget(upstream.url),
    nginxTarget(upstream.url),
    mindgwTarget(upstream.url, binary, { name: "mindgw" }),
    mindgwTarget(upstream.url, binary, { name: "mindgw-worker", via: "worker" }),
    mindgwTarget(upstream.url, binary, { name: "mindgw-auto", env: { MINDGW_UPSTREAM_CLIENT: "auto" } }),
    mindgwTarget(upstream.url, binary, { name: "mindgw-purging", env: PURGING_ENV }),
    bareProxyTarget(upstream.url, { name: "bare-proxy-deployed", env: DEPLOYED_ENV }),
  ];
  return all.filter((t) => wanted.includes(t.name));
}

/** One repeat's numbers for one target: wrk per scenario and concurrency, and TTFT. */
type Cell = Record<string, WrkResult>;
interface Sample {
  wrk: Cell;
  ttft: { p50: number; p99: number };
  /**
   * At c=32 per scenario: CPU µs per request of the target's process, through a worker the
   * worker's, and the upstream's (for a target in front of it); and how busy the whole machine
   * was during the run, in % of all cores (under 100: the run was not bound by CPU alone).
   */
  cpu: Record<string, { process: number; worker?: number; upstream?: number; busy: number }>;
}

const key = (scenario: string, c: number) => `${scenario}@c${c}`;
const sorted = (xs: number[]) => [...xs].filter(Number.isFinite).sort((a, b) => a - b);
function mmm(xs: number[], digits: number): string {
  const s = sorted(xs);
  if (s.length === 0) return "–";
  const mid =
    s.length % 2 ? (s[(s.length - 1) / 2] ?? 0) : ((s[s.length / 2 - 1] ?? 0) + (s[s.length / 2] ?? 0)) / 2;
  const f = (v: number) => v.toFixed(digits);
  return s.length === 1 ? f(mid) : `${f(mid)} (${f(s[0] ?? 0)}–${f(s.at(-1) ?? 0)})`;
}

async function measure(target: RunningTarget, workDir: string, upstreamPid: number): Promise<Sample> {
  const wrk: Cell = {};
  const cpu: Sample["cpu"] = {};
  // What a process spent per request: on a loaded machine the steadier measure than req/s.
  const used = async (pid: number | undefined) => (pid ? await cpuSeconds(pid).catch(() => 0) : 0);
  for (const scenario of SCENARIOS) {
    for (const c of [32, 1]) {
      const base = { baseUrl: target.url, headers: target.headers, scenario, workDir };
      const [before, workerBefore] = [await used(target.pid), await used(target.workerPid)];
      const [upstreamBefore, machineBefore] = [await used(upstreamPid), await machineTicks()];
      const run = await runWrk({ ...base, connections: c, seconds });
      const machine = await machineTicks();
      wrk[key(scenario.name, c)] = run;
      if (c !== 32 || !target.pid || run.requests === 0) continue;
      const perRequest = (s: number) => (s * 1e6) / run.requests;
      cpu[scenario.name] = {
        process: perRequest((await used(target.pid)) - before),
        ...(target.workerPid ? { worker: perRequest((await used(target.workerPid)) - workerBefore) } : {}),
        ...(target.pid !== upstreamPid
          ? { upstream: perRequest((await used(upstreamPid)) - upstreamBefore) }
          : {}),
        busy: (100 * (machine.busy - machineBefore.busy)) / Math.max(1, machine.total - machineBefore.total),
      };
    }
  }
  const ttft = await measureTtfb(target.url, target.headers, STREAM_SCENARIO, ttftN);
  return { wrk, ttft: { p50: ttft.p50, p99: ttft.p99 }, cpu };
}

async function runUpstream(
  name: string,
  workDir: string,
): Promise<{ name: string; samples: Map<string, Sample[]> }> {
  const upstream = await startUpstream(name);
  const running = new Map<string, RunningTarget>();
  const samples = new Map<string, Sample[]>();
  try {
    for (const target of targetsFor(upstream)) {
      console.error(`ratios: ${name}: starting ${target.name}`);
      const started = await target.start();
      running.set(target.name, started);
      await preflight(started.url, started.headers);
      // Warm-up: JIT, connection pools, the SQLite file.
      await warmUp(target.name, started, SCENARIOS, workDir, { seconds: warmup, maxSeconds: settleMax });
    }
    const names = [...running.keys()];
    for (let r = 0; r < repeats; r++) {
      // Rotate the order each repeat, so that drift in the machine's load does not favour one.
      const order = names.map((_, i) => names[(i + r) % names.length] ?? "");
      for (const n of order) {
        const target = running.get(n);
        if (!target) continue;
        console.error(`ratios: ${name}: repeat ${r + 1}/${repeats}: ${n}`);
        const list = samples.get(n) ?? [];
        list.push(await measure(target, workDir, upstream.pid));
        samples.set(n, list);
      }
    }
  } finally {
    for (const t of running.values()) await t.stop();
    await upstream.stop();
  }
  return { name, samples };
}

/** Per repeat, b's figure against a's, then min–median–max over the repeats. */
function perRepeat(
  a: Sample[] | undefined,
  b: Sample[] | undefined,
  f: (a: Sample, b: Sample) => number,
): number[] {
  if (!a || !b) return [];
  return b.map((sb, i) => {
    const sa = a[i];
    return sa ? f(sa, sb) : Number.NaN;
  });
}

function render(results: { name: string; samples: Map<string, Sample[]> }[], load: string): string {
  const out: string[] = [
    `## mindgw ratios (Bun ${Bun.version}, ${cpus().length} CPUs, ${repeats} repeats × ${seconds} s per wrk run)`,
    "",
    `Load average before the run: ${load}. Median (min–max) over the repeats.`,
    "",
  ];
  for (const { name, samples } of results) {
    const rps = (s: Sample, k: string) => s.wrk[k]?.rps ?? Number.NaN;
    out.push(`### upstream: ${name}`, "");
    out.push(
      "| scenario | c | target | req/s | p50 ms | p99 ms |",
      "| --- | ---: | --- | ---: | ---: | ---: |",
    );
    for (const scenario of SCENARIOS)
      for (const c of [32, 1])
        for (const [t, list] of samples) {
          const k = key(scenario.name, c);
          out.push(
            `| ${scenario.name} | ${c} | ${t} | ${mmm(
              list.map((s) => rps(s, k)),
              0,
            )} | ${mmm(
              list.map((s) => (s.wrk[k]?.p50 ?? Number.NaN) / 1000),
              3,
            )} | ${mmm(
              list.map((s) => (s.wrk[k]?.p99 ?? Number.NaN) / 1000),
              3,
            )} |`,
          );
        }
    out.push("", "| ratio (req/s, c=32) | non-stream | stream |", "| --- | ---: | ---: |");
    const ratio = (a: string, b: string, scenario: string) =>
      mmm(
        perRepeat(
          samples.get(a),
          samples.get(b),
          (sa, sb) => rps(sb, key(scenario, 32)) / rps(sa, key(scenario, 32)),
        ),
        3,
      );
    for (const [a, b] of [
      ["bare-proxy", "mindgw"],
      ["nginx", "mindgw"],
      ["bare-proxy", "nginx"],
      ["direct", "mindgw"],
      ["mindgw", "mindgw-worker"],
      ["direct", "mindgw-worker"],
      ...(samples.has("mindgw-auto")
        ? ([
            ["mindgw-auto", "mindgw"],
            ["bare-proxy", "mindgw-auto"],
          ] as const)
        : []),
      ...(samples.has("bare-proxy-deployed") ? ([["bare-proxy-deployed", "mindgw"]] as const) : []),
      ...(samples.has("mindgw-purging") ? ([["bare-proxy", "mindgw-purging"]] as const) : []),
    ] as const)
      out.push(`| ${b} ÷ ${a} | ${ratio(a, b, "non-stream")} | ${ratio(a, b, "stream")} |`);
    out.push("", "| CPU µs per request, c=32 | non-stream | stream |", "| --- | ---: | ---: |");
    for (const [t, list] of samples) {
      // nginx's work is in its worker process, not the master whose pid we hold.
      if (t === "nginx") continue;
      // The direct target's process is the upstream itself.
      const cpuOf = (scenario: string, part: "process" | "worker" | "upstream" | "busy") =>
        mmm(
          list.map((s) => s.cpu[scenario]?.[part] ?? Number.NaN),
          0,
        );
      const processName = t === "direct" ? "upstream" : "process";
      out.push(
        `| ${t} (${processName}) | ${cpuOf("non-stream", "process")} | ${cpuOf("stream", "process")} |`,
      );
      if (list.some((s) => s.cpu["non-stream"]?.worker !== undefined))
        out.push(`| ${t} (worker) | ${cpuOf("non-stream", "worker")} | ${cpuOf("stream", "worker")} |`);
      if (list.some((s) => s.cpu["non-stream"]?.upstream !== undefined))
        out.push(`| ${t} (upstream) | ${cpuOf("non-stream", "upstream")} | ${cpuOf("stream", "upstream")} |`);
      out.push(`| ${t}: machine busy % | ${cpuOf("non-stream", "busy")} | ${cpuOf("stream", "busy")} |`);
    }
    out.push(
      "",
      "| added over direct, c=1 (ms) | non-stream +p50 | non-stream +p99 | stream +p50 | stream +p99 | TTFT +p50 | TTFT +p99 |",
    );
    out.push("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    for (const t of ["bare-proxy", "nginx", "mindgw", "mindgw-worker"]) {
      if (!samples.has(t)) continue;
      const d = (k: string, p: "p50" | "p99") =>
        mmm(
          perRepeat(
            samples.get("direct"),
            samples.get(t),
            (sa, sb) => ((sb.wrk[k]?.[p] ?? 0) - (sa.wrk[k]?.[p] ?? 0)) / 1000,
          ),
          3,
        );
      const dt = (p: "p50" | "p99") =>
        mmm(
          perRepeat(samples.get("direct"), samples.get(t), (sa, sb) => sb.ttft[p] - sa.ttft[p]),
          3,
        );
      out.push(
        `| ${t} | ${d(key("non-stream", 1), "p50")} | ${d(key("non-stream", 1), "p99")} | ${d(key("stream", 1), "p50")} | ${d(key("stream", 1), "p99")} | ${dt("p50")} | ${dt("p99")} |`,
      );
    }
    out.push("");
  }
  return out.join("\n");
}

async function main(): Promise<void> {
  const load = (await Bun.file("/proc/loadavg").text()).split(" ").slice(0, 3).join(" ");
  const workDir = await mkdtemp(join(tmpdir(), "mindgw-bench-ratios-"));
  const results = [];
  try {
    for (const name of upstreams) results.push(await runUpstream(name, workDir));
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
  const markdown = render(results, load);
  const outDir = join(ROOT, ".bench-out");
  await mkdir(outDir, { recursive: true });
  const at = new Date().toISOString().replaceAll(":", "-");
  await writeFile(join(outDir, `ratios-${at}.md`), markdown);
  await writeFile(
    join(outDir, `ratios-${at}.json`),
    `${JSON.stringify(
      results.map((r) => ({ name: r.name, samples: Object.fromEntries(r.samples) })),
      null,
      2,
    )}\n`,
  );
  console.log(markdown);
}

await main().then(
  () => process.exit(0),
  (e: Error) => {
    console.error(e.stack ?? e.message);
    process.exit(1);
  },
);
