/**
 * What the slowest c=1 requests wait on, from the kernel: a `wrk -t1 -c1` run against the
 * compiled gateway (auth, limits, audit, metrics on; the burst upstream) while `perf record`
 * traces every CPU's scheduler switches and the socket calls of wrk, the gateway and the
 * upstream. Each request is timed from wrk's write to wrk's read, split at the gateway's reads
 * and writes; each slow one is given a cause (bench/c1-trace-classify.ts) and the table says how
 * wrk's time-weighted p99 (the figure bench/c1-latency.ts reports) would read without each cause.
 * The gateway runs with `BUN_JSC_logGC=1`, whose writes on fd 2 mark its collections (the log
 * itself adds ~0.1 ms to each). Root only (perf's tracepoints; `chrt`).
 *   bun run build && bun bench/c1-trace.ts [--seconds 3] [--rounds 2] [--stream] [--rt] [--slow-us 500]
 *     [--against BINARY] [--against-env NAME=VALUE,…] [--list]
 * --rt runs the upstream, the gateways and wrk under SCHED_RR 1 (and perf at 2), as
 * c1-latency's --rt does: other work on a shared machine then delays the chain only through
 * other real-time threads, which the table names. --against (or --against-env alone: the same
 * binary with that environment) adds a second gateway, alternated with the first round by round.
 * --list prints every slow request: its stages (µs: to the gateway's read, the gateway's work on
 * the request, the upstream, the gateway's work on the answer, to wrk's read) and what held it.
 * MINDGW_BIN (dist/mindgw) is the gateway measured.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { type Classified, classify, labeller, type Threads } from "./c1-trace-classify.ts";
import { parseTrace, schedule } from "./c1-trace-events.ts";
import { createBenchKey } from "./mindgw-key.ts";
import { SCENARIOS } from "./scenarios.ts";
import { freePort, type Service, spawnService, waitForHttp } from "./service.ts";
import { configYaml } from "./targets.ts";

const ROOT = join(import.meta.dir, "..");
const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "3" },
    rounds: { type: "string", default: "2" },
    stream: { type: "boolean", default: false },
    rt: { type: "boolean", default: false },
    "slow-us": { type: "string", default: "500" },
    against: { type: "string" },
    "against-env": { type: "string" },
    list: { type: "boolean", default: false },
  },
});
const seconds = Number(values.seconds);
const scenario = values.stream ? SCENARIOS[1] : SCENARIOS[0];
if (!scenario) throw new Error("no scenario");
const rt = (priority: number) => (values.rt ? ["chrt", "-r", String(priority)] : []);
const work = await mkdtemp(join(tmpdir(), "c1-trace-"));

async function run(cmd: string[]): Promise<string> {
  const proc = Bun.spawn(cmd, { stdout: "pipe", stderr: "pipe" });
  const [out, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  if ((await proc.exited) !== 0) throw new Error(`${cmd.slice(0, 3).join(" ")} failed: ${err.slice(-500)}`);
  return out;
}

const threadsOf = async (pid: number) => (await readdir(`/proc/${pid}/task`)).map(Number);
const threadName = async (pid: number, tid: number) =>
  (await readFile(`/proc/${pid}/task/${tid}/comm`, "utf8")).trim();

interface Gateway {
  name: string;
  url: string;
  key: string;
  service: Service;
}

/** The config in a folder of its own: the config watch must not see the log or the database written. */
async function startGateway(
  name: string,
  binary: string,
  upstream: string,
  env: Record<string, string>,
): Promise<Gateway> {
  const dir = join(work, name);
  await mkdir(join(dir, "config"), { recursive: true });
  const port = freePort();
  const config = join(dir, "config", "config.yaml");
  await writeFile(config, configYaml(port, dir, upstream, { name }));
  const key = await createBenchKey(binary, config);
  if (!key) throw new Error(`${binary} made no key`);
  const service = spawnService([binary, "serve", "-c", config], {
    stderrPath: join(dir, "stderr.log"),
    env: { BUN_JSC_logGC: "1", ...env },
  });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/healthz`);
  if (values.rt) await run(["chrt", "-a", "-r", "-p", "1", String(service.pid)]);
  return { name, url, key, service };
}

async function wrkScript(g: Gateway): Promise<string> {
  const path = join(work, `${g.name}.lua`);
  const lines = [
    'wrk.method = "POST"',
    `wrk.body = [==[${JSON.stringify(scenario?.body)}]==]`,
    'wrk.headers["Content-Type"] = "application/json"',
    `wrk.headers["Authorization"] = "Bearer ${g.key}"`,
  ];
  await writeFile(path, `${lines.join("\n")}\n`);
  return path;
}

/** One traced round: wrk for `seconds` + 1, perf for `seconds` once wrk's threads are known. */
async function traceRound(g: Gateway, upstreamPid: number, round: number): Promise<Classified> {
  const script = await wrkScript(g);
  const target = `${g.url}${scenario?.path}`;
  const wrk = Bun.spawn([...rt(1), "wrk", "-t1", "-c1", `-d${seconds + 1}s`, "-s", script, target], {
    stdout: "ignore",
    stderr: "ignore",
  });
  await Bun.sleep(300); // wrk's thread exists by now; the trace starts after it connected
  const ids: Threads = {
    gatewayMain: g.service.pid,
    gatewayOthers: new Map(),
    upstreamMain: upstreamPid,
    wrk: new Set(await threadsOf(wrk.pid)),
  };
  for (const tid of await threadsOf(g.service.pid))
    if (tid !== g.service.pid) ids.gatewayOthers.set(tid, await threadName(g.service.pid, tid));
  const mine = [...ids.wrk, g.service.pid, ...ids.gatewayOthers.keys(), ...(await threadsOf(upstreamPid))];
  const byCaller = mine.map((tid) => `common_pid == ${tid}`).join(" || ");
  const byWakee = mine.map((tid) => `pid == ${tid}`).join(" || ");
  const calls = ["sys_enter_write", "sys_exit_read", "sys_enter_sendto", "sys_exit_recvfrom"];
  const data = join(work, `${g.name}-${round}.data`);
  const perf = [...rt(2), "perf", "record", "-a", "-m", "32M", "-o", data, "-e", "sched:sched_switch"];
  perf.push("-e", "sched:sched_wakeup", "--filter", byWakee);
  for (const call of calls) perf.push("-e", `syscalls:${call}`, "--filter", byCaller);
  await run([...perf, "--", "sleep", String(seconds)]);
  await wrk.exited;
  const text = await run(["perf", "script", "-i", data, "-F", "comm,tid,cpu,time,event,trace"]);
  await rm(data, { force: true });
  const events = parseTrace(text);
  return classify(events, schedule(events, labeller(ids)), ids, Number(values["slow-us"]));
}

function report(name: string, round: number, c: Classified): string {
  const ms = (us: number) => (us / 1000).toFixed(3);
  const out = [
    `### ${name}, round ${round}: ${c.requests} requests, wrk's p99 ${ms(c.correctedP99Us)} ms (plain p50 ${ms(c.p50Us)}, p99 ${ms(c.p99Us)})`,
    `median stages µs (to the gateway, its request work, upstream, its answer work, to wrk): ${c.stages.map((x) => x.toFixed(0)).join(" / ")}; collections ${c.collections.count} (${((c.collections.count * 10_000) / c.requests).toFixed(1)} per 10,000 requests; median ${ms(c.collections.medianUs)} ms with the log, then a sweep of ${ms(c.collections.sweepMedianUs)} ms)`,
    `slow (> ${values["slow-us"]} µs): ${c.slow}; wrk's p99 without every slow request ${ms(c.p99WithoutSlowUs)} ms, without collections and their sweeps ${ms(c.p99WithoutCollectionsUs)} ms`,
    "",
    "| cause | slow requests | their ms over the median | wrk's p99 without them, ms |",
    "| --- | ---: | ---: | ---: |",
    ...c.causes.map((x) => `| ${x.cause} | ${x.count} | ${ms(x.overUs)} | ${ms(x.p99WithoutUs)} |`),
  ];
  if (values.list) out.push("", "```", ...c.lines, "```");
  return out.join("\n");
}

const upstream = spawnService(["bun", join(ROOT, "bench/burst-upstream.ts")]);
const gateways: Gateway[] = [];
try {
  const upstreamUrl = `http://127.0.0.1:${await upstream.portLine()}`;
  if (values.rt) await run(["chrt", "-a", "-r", "-p", "1", String(upstream.pid)]);
  const binary = process.env.MINDGW_BIN ?? join(ROOT, "dist/mindgw");
  gateways.push(await startGateway("mindgw", binary, upstreamUrl, {}));
  if (values.against || values["against-env"]) {
    const env = Object.fromEntries(
      (values["against-env"] ?? "")
        .split(",")
        .filter(Boolean)
        .map((kv) => kv.split("=", 2)),
    );
    gateways.push(await startGateway("against", values.against ?? binary, upstreamUrl, env));
  }
  for (const g of gateways)
    await run([...rt(1), "wrk", "-t1", "-c1", "-d3s", "-s", await wrkScript(g), `${g.url}${scenario.path}`]);
  console.log(`## c=1 ${scenario.name} traced${values.rt ? ", SCHED_RR" : ""}, ${seconds} s a round\n`);
  for (let round = 1; round <= Number(values.rounds); round++)
    for (const g of round % 2 ? gateways : [...gateways].reverse())
      console.log(`${report(g.name, round, await traceRound(g, upstream.pid, round))}\n`);
} finally {
  for (const g of gateways) await g.service.stop();
  await upstream.stop();
  await rm(work, { recursive: true, force: true });
}
