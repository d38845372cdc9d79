/**
 * Issue 11's c=1 latency, for the tail: the burst upstream directly, the bare Bun proxy and
 * mindgw (and another mindgw binary with --against), measured in interleaved `wrk -t1 -c1` rounds
 * (rotated order each round), so that a change to the gateway can be judged against the run-to-run
 * spread. wrk's c=1 percentiles are corrected for coordinated omission, i.e. weighted by time: a
 * stall of D ms counts about D ÷ (mean interval) times (docs/BENCHMARKS-HISTORY.md, "The c=1 tail").
 *   bun run build && bun bench/c1-latency.ts [--against BINARY] [--rounds 6] [--seconds 4] [--stream] [--rt]
 *     [--lean] [--floor]
 * --rt runs every process (upstream, proxies, gateways, wrk) under SCHED_RR priority 1 (`chrt`,
 * root only), which keeps other work on a shared machine out of the tail; threads of one RR
 * priority do not preempt each other, so a background thread's burst (the audit thread's insert)
 * weighs more than under the normal scheduler. MINDGW_BIN (dist/mindgw) is the gateway measured.
 * --lean measures it twice more, as `mindgw-lean` and `mindgw-fetch` (`MINDGW_UPSTREAM_CLIENT`
 * `lean` and `fetch`: every plain-http upstream call on the lean client, or none below half Bun's
 * limit; the default, `auto`, puts a run of calls made alone on it), to compare the clients in one run; --floor adds the floor gateway
 * (bench/floor-gateway.ts: a keep-alive socket pool on the event loop, nothing else).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { SCENARIOS } from "./scenarios.ts";
import { spawnService } from "./service.ts";
import { median, spread } from "./stats.ts";
import type { RunningTarget, Target } from "./target.ts";
import { bareProxyTarget, directTarget, floorGatewayTarget, mindgwTarget } from "./targets.ts";
import { runWrk } from "./wrk.ts";

const ROOT = join(import.meta.dir, "..");
const { values } = parseArgs({
  options: {
    against: { type: "string" },
    rounds: { type: "string", default: "6" },
    seconds: { type: "string", default: "4" },
    stream: { type: "boolean", default: false },
    rt: { type: "boolean", default: false },
    lean: { type: "boolean", default: false },
    floor: { type: "boolean", default: false },
  },
});
const rounds = Number(values.rounds);
const seconds = Number(values.seconds);
const binary = process.env.MINDGW_BIN ?? join(ROOT, "dist/mindgw");
const scenario = values.stream ? SCENARIOS[1] : SCENARIOS[0];
if (!scenario) throw new Error("no scenario");
const rt = values.rt ? ["chrt", "-r", "1"] : [];

/** Every thread of `pid` (threads it starts later inherit it) to SCHED_RR 1. */
async function realtime(pid: number | undefined): Promise<void> {
  if (!values.rt || pid === undefined) return;
  const proc = Bun.spawn(["chrt", "-a", "-r", "-p", "1", String(pid)], { stdout: "ignore", stderr: "pipe" });
  if ((await proc.exited) !== 0) throw new Error(`chrt failed: ${await new Response(proc.stderr).text()}`);
}

const workDir = await mkdtemp(join(tmpdir(), "c1-latency-"));
const upstreamService = spawnService(["bun", join(ROOT, "bench/burst-upstream.ts")]);
const running = new Map<string, RunningTarget>();
const stopAll = async () => {
  for (const t of running.values()) await t.stop();
  await upstreamService.stop();
  await rm(workDir, { recursive: true, force: true });
};
process.on("SIGINT", () => void stopAll().finally(() => process.exit(130)));

try {
  const upstream = `http://127.0.0.1:${await upstreamService.portLine()}`;
  await realtime(upstreamService.pid);
  const targets: Target[] = [
    directTarget(upstream, upstreamService.pid),
    bareProxyTarget(upstream),
    mindgwTarget(upstream, binary, { name: "mindgw" }),
    ...(values.lean
      ? (["lean", "fetch"] as const).map((client) =>
          mindgwTarget(upstream, binary, {
            name: `mindgw-${client}`,
            env: { MINDGW_UPSTREAM_CLIENT: client },
          }),
        )
      : []),
    ...(values.against ? [mindgwTarget(upstream, values.against, { name: "against" })] : []),
    ...(values.floor ? [floorGatewayTarget(upstream)] : []),
  ];
  for (const target of targets) {
    const started = await target.start();
    running.set(target.name, started);
    if (target.name !== "direct") await realtime(started.pid);
  }
  const measure = (t: RunningTarget, secs: number) =>
    runWrk({
      baseUrl: t.url,
      headers: t.headers,
      scenario,
      connections: 1,
      seconds: secs,
      workDir,
      prefix: rt,
    });
  for (const t of running.values()) await measure(t, 2); // warm-up: JIT, pools, the audit file
  const names = [...running.keys()];
  const p50 = new Map<string, number[]>(names.map((n) => [n, []]));
  const p99 = new Map<string, number[]>(names.map((n) => [n, []]));
  for (let r = 0; r < rounds; r++) {
    for (const name of names.map((_, i) => names[(i + r) % names.length] ?? "")) {
      const t = running.get(name);
      if (!t) continue;
      const result = await measure(t, seconds);
      p50.get(name)?.push(result.p50 / 1000);
      p99.get(name)?.push(result.p99 / 1000);
      console.error(
        `c1-latency: round ${r + 1}/${rounds} ${name}: p50 ${result.p50} µs, p99 ${result.p99} µs`,
      );
    }
  }
  const cell = (xs: number[]) => spread(xs, 3);
  const direct = { p50: median(p50.get("direct") ?? []), p99: median(p99.get("direct") ?? []) };
  const out = [
    `## c=1 ${scenario.name}, ${rounds} interleaved rounds × ${seconds} s${values.rt ? ", SCHED_RR" : ""} (ms, median (min–max); wrk's time-weighted percentiles)`,
    "",
    "| target | p50 | p99 | added p50 | added p99 |",
    "| --- | ---: | ---: | ---: | ---: |",
    ...names.map((n) => {
      const a = p50.get(n) ?? [];
      const b = p99.get(n) ?? [];
      return `| ${n} | ${cell(a)} | ${cell(b)} | ${(median(a) - direct.p50).toFixed(3)} | ${(median(b) - direct.p99).toFixed(3)} |`;
    }),
  ];
  console.log(out.join("\n"));
} finally {
  await stopAll();
}
