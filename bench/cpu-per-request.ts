/**
 * What one request costs the gateway in CPU, the measure that survives a loaded machine: the
 * gateway from source (`bun src/main.ts serve`, auth + limits + audit + metrics on, as
 * bench/ratios.ts runs the binary) in front of the burst upstream, wrk at c=32 for a few seconds
 * per scenario, and the gateway process's user + system CPU per request, in total and on its
 * main thread (the event loop) alone.
 *   bun bench/cpu-per-request.ts [--seconds 4] [--rounds 3] [--warmup 0] [--profile DIR] [--binary dist/mindgw]
 *     [--against OTHER_CHECKOUT | --versus-sqlite] [--cluster] [--worker] [--forward] [--shadow]
 *     [--scenario non-stream|stream] [--front openai|anthropic|responses|chat-anthropic|both|all,…]
 *     [--connections 32] [--env NAME=VALUE]... [--under FOLDER]...
 * `--profile DIR` runs the gateway under `bun --cpu-prof` and prints the functions with the most
 * self time (one profile over all rounds), then each `--under FOLDER`'s share of the samples
 * (default `src/telemetry/metrics/` and `src/telemetry/`: bench/profile-share.ts). The first line
 * says what the gateways run with (metrics on, tracing unset unless `--env` sets `OTEL_*`). `--against DIR` also runs the gateway of another
 * checkout (say, main's, to judge a change) at the same time, alternating wrk runs between the
 * two (A B B A …) so that the machine's load hits both alike. Prints one line per run, then
 * medians per gateway and scenario. `--cluster` runs each gateway as a cluster node instead:
 * PostgreSQL storage and Redis (started in temp dirs as the tests do), on the gateway's defaults,
 * and also prints the CPU per request of the PostgreSQL and Redis servers during each run (the
 * gateways take turns under load, so a run's server CPU is its gateway's, bar the idle one's
 * heartbeat). `--worker` routes bench-model through a `mindgw worker` of the same checkout (dialled in over the
 * tunnel) instead of the direct provider, and reports the worker's CPU per request and the sum
 * of both processes beside the gateway's (`--profile` then profiles the worker too, in DIR/worker).
 * `--forward` (implies `--cluster --worker`) makes each gateway a two-node cluster of its own (one
 * PostgreSQL database, its own Redis): the worker dials node b, the load goes to node a, so every
 * request is forwarded a → b; the CPU per request is both nodes' (each also printed apart;
 * `--profile DIR` then profiles node b too, in DIR/node-b).
 * `--versus-sqlite` (implies `--cluster`) runs this checkout twice instead, as a cluster node and
 * on SQLite, alternating: what being a cluster node costs the gateway itself (issue 16).
 * `--warmup S` first loads each gateway with each scenario for S seconds, unmeasured, so the
 * rounds measure compiled code rather than the JIT at work (the shadow's longer hot path needs
 * ~15 s). `--shadow` mirrors every request (sample 1.0, cap above the load) to a second burst
 * upstream of each gateway's own, and prints the copies it answered and the copies the gateway
 * shed (`/metrics`) and that upstream's CPU per request: what a shadowed request costs the
 * gateway, and what its copy costs the upstream (which shares the machine's cores).
 * `--front anthropic` sends the scenarios to the Anthropic front door (`/v1/messages`, translated to
 * the OpenAI upstream), `--front responses` a Codex-like turn to `/v1/responses` (translated to
 * chat), `--front chat-anthropic` the OpenAI loads on an Anthropic upstream (the burst upstream's
 * `/v1/messages`); a comma-separated list runs several on one gateway, `both` is
 * `openai,anthropic`, `all` every one (bench/scenarios.ts `frontScenarios`).
 * `--scenario NAME` runs only that scenario (both by default). `--connections N` is wrk's
 * concurrency (past 120, upstream calls leave Bun's native `fetch`: see upstream-fetch.ts).
 * `--env NAME=VALUE` sets a variable for this checkout's gateway (and worker) only (say
 * `MINDGW_UPSTREAM_CLIENT=lean` against main's default). `--paced` starts the burst upstream
 * with `--paced` (a stream one event a write: the relay's general path, not the whole answer's).
 */
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { tracingRequested } from "../src/telemetry/tracing/start-tracing.ts";
import { startPostgres } from "../test/e2e/harness/postgres-server.ts";
import { startRedis } from "../test/e2e/harness/redis-server.ts";
import { cpuSeconds, mainThreadCpuSeconds } from "./cpu-time.ts";
import { keyInOutput } from "./mindgw-key.ts";
import { type CpuProfile, sharesUnder } from "./profile-share.ts";
import { anthropicUpstreamYaml, frontScenarios, preflight } from "./scenarios.ts";
import { freePort, spawnService, waitForHttp } from "./service.ts";
import { DEPLOYED_ENV } from "./targets.ts";
import { runWrk } from "./wrk.ts";

const ROOT = join(import.meta.dir, "..");
const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "4" },
    rounds: { type: "string", default: "3" },
    connections: { type: "string", default: "32" },
    profile: { type: "string" },
    binary: { type: "string" },
    against: { type: "string" },
    cluster: { type: "boolean", default: false },
    worker: { type: "boolean", default: false },
    forward: { type: "boolean", default: false },
    "versus-sqlite": { type: "boolean", default: false },
    shadow: { type: "boolean", default: false },
    warmup: { type: "string", default: "0" },
    scenario: { type: "string" },
    front: { type: "string", default: "openai" },
    env: { type: "string", multiple: true },
    paced: { type: "boolean", default: false },
    under: { type: "string", multiple: true, default: ["src/telemetry/metrics/", "src/telemetry/"] },
  },
});
/** `--env NAME=VALUE`: for this checkout's gateway only. */
const thisEnv = Object.fromEntries(
  (values.env ?? []).map((pair) => {
    const at = pair.indexOf("=");
    if (at < 1) throw new Error(`--env NAME=VALUE, not ${pair}`);
    return [pair.slice(0, at), pair.slice(at + 1)];
  }),
);
/**
 * What a checkout's gateway (and worker) run with: the allocator keeping freed pages, as the binary
 * gives itself (src/cli/allocator-settings.ts) and as a checkout from before it did not, so both
 * sides of `--against` run alike (and one run with a profiler, which does not restart, as well);
 * `--env` over it for this checkout.
 */
const envOf = (root: string): Record<string, string> => ({
  ...DEPLOYED_ENV,
  ...(root === ROOT ? thisEnv : {}),
});
if (values.forward) Object.assign(values, { cluster: true, worker: true });
if (values["versus-sqlite"]) Object.assign(values, { cluster: true });
const fronted = frontScenarios(values.front);
const scenarios = fronted.filter((s) => values.scenario === undefined || s.name === values.scenario);
if (scenarios.length === 0) throw new Error(`--scenario: one of ${fronted.map((s) => s.name).join(", ")}`);
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);
const connections = Number(values.connections);
const profileDir = values.profile ? resolve(values.profile) : undefined;
/** A gateway's command: the compiled binary when given, else a checkout's source under bun. */
const gatewayOf = (root: string, profile: boolean, dir = profileDir) =>
  values.binary && root === ROOT
    ? [resolve(values.binary)]
    : ["bun", ...(profile && dir ? ["--cpu-prof", `--cpu-prof-dir=${dir}`] : []), join(root, "src/main.ts")];
const workerProfileDir = profileDir ? join(profileDir, "worker") : undefined;
const peerProfileDir = profileDir ? join(profileDir, "node-b") : undefined;
const roots = values.against ? [ROOT, resolve(values.against)] : [ROOT];
/** The gateways to alternate: each checkout, or (`--versus-sqlite`) this one as a cluster node and on SQLite. */
const setups = values["versus-sqlite"]
  ? [
      { root: ROOT, sqlite: false, name: "this (cluster node)" },
      { root: ROOT, sqlite: true, name: "this (SQLite)" },
    ]
  : roots.map((root) => ({ root, sqlite: false, name: root === ROOT ? "this" : root }));

process.on("SIGINT", () => process.exit(130));
process.on("SIGTERM", () => process.exit(143));

async function createKey(
  root: string,
  config: string,
  role: "user" | "worker" | "admin" = "user",
): Promise<string | undefined> {
  const args = ["keys", "create", "-c", config, "--name", `bench-${role}`, "--role", role];
  args.push("--models", "*", "--json");
  if (role === "user") args.push("--rpm", "1000000000", "--tpm", "1000000000000");
  const proc = Bun.spawn([...gatewayOf(root, false), ...args], {
    stdin: "ignore",
    stdout: "pipe",
    stderr: "ignore",
  });
  const out = await new Response(proc.stdout).text();
  if ((await proc.exited) !== 0) return undefined;
  return keyInOutput(out);
}

/** Self time per function name (file:line), from a V8 .cpuprofile; top `n` as percentages. */
function topSelf(profile: CpuProfile, n: number): string[] {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const counts = new Map<string, number>();
  for (const id of profile.samples) {
    const frame = byId.get(id)?.callFrame;
    const name = frame
      ? `${frame.functionName || "(anon)"} ${frame.url.split("/").slice(-2).join("/")}:${frame.lineNumber + 1}`
      : "?";
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  const total = profile.samples.length;
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([name, c]) => `${((100 * c) / total).toFixed(1).padStart(5)} %  ${name}`);
}

interface Gateway {
  name: string;
  url: string;
  headers: Record<string, string>;
  service: ReturnType<typeof spawnService>;
  /** With `--worker`: the `mindgw worker` the route goes through. */
  worker?: ReturnType<typeof spawnService>;
  /** With `--forward`: node b, which holds the worker the requests to this node are forwarded to. */
  peer?: ReturnType<typeof spawnService>;
  /** With `--forward`: this gateway's own Redis (so the two clusters never see each other's nodes). */
  redis?: Awaited<ReturnType<typeof startRedis>>;
  /** With `--shadow`: the burst upstream this gateway's copies go to (its own, so its CPU is this gateway's). */
  shadowUpstream?: ReturnType<typeof spawnService>;
  /** With `--shadow`: an admin key's header, to read `/metrics`. */
  adminHeaders?: Record<string, string>;
}

/** With `--cluster`: where a node keeps its state. */
interface ClusterServers {
  databaseUrl(name: string): Promise<string>;
  redisUrl: string;
}

/** A node's storage (and cluster) config: its own SQLite file, or PostgreSQL + Redis. */
async function storageConfig(
  dir: string,
  port: number,
  cluster: ClusterServers | undefined,
  databaseUrl?: string,
): Promise<string> {
  if (!cluster) return `storage: { driver: sqlite, path: ${join(dir, "data", "mindgw.db")} }`;
  const url = databaseUrl ?? (await cluster.databaseUrl(`n${port}`));
  return `storage: { driver: postgres, url: "${url}", sslmode: disable }
cluster:
  redis_url: "${cluster.redisUrl}"
  advertise_url: http://127.0.0.1:${port}
  secret: bench-cluster-secret-0123456789
  node_name: n${port}`;
}

/** One gateway from `root` in front of the upstream, in its own temp dir, ready to serve. */
async function startGateway(
  root: string,
  upstreamUrl: string,
  dir: string,
  profile: boolean,
  cluster: ClusterServers | undefined,
): Promise<Gateway> {
  const port = freePort();
  // Alone in its folder, which the gateway watches: stderr.log beside it would wake the watch.
  const config = join(dir, "config", "config.yaml");
  await mkdir(join(dir, "config"), { recursive: true });
  const shadowUpstream = values.shadow
    ? spawnService(["bun", join(ROOT, "bench/burst-upstream.ts")])
    : undefined;
  const shadowUrl = shadowUpstream && `http://127.0.0.1:${await shadowUpstream.portLine()}`;
  // --forward: a cluster of two nodes of this checkout on one database and a Redis of its own.
  const redis = values.forward ? await startRedis() : undefined;
  const own = cluster && redis ? { ...cluster, redisUrl: redis.url } : cluster;
  const databaseUrl = own && values.forward ? await own.databaseUrl(`n${port}`) : undefined;
  const configText = async (at: number) => `server: { host: 127.0.0.1, port: ${at} }
${await storageConfig(dir, at, own, databaseUrl)}
providers:
  - { name: fake, type: openai, base_url: ${upstreamUrl}/v1 }
${anthropicUpstreamYaml(upstreamUrl).provider}
${shadowUrl ? `  - { name: shadow-fake, type: openai, base_url: ${shadowUrl}/v1 }\n` : ""}models:
  - name: bench-model
    routes:
      - { provider: ${values.worker ? "workers" : "fake"}, model: bench-model }
${anthropicUpstreamYaml(upstreamUrl).model}
${shadowUrl ? "    shadow: { provider: shadow-fake, model: bench-model, sample: 1.0 }\nshadow: { max_concurrent: 1024 }\n" : ""}`;
  await writeFile(config, await configText(port));
  const key = await createKey(root, config);
  const adminKey = shadowUpstream ? await createKey(root, config, "admin") : undefined;
  const workerKey = values.worker ? await createKey(root, config, "worker") : undefined;
  if (values.worker && !workerKey) throw new Error(`${root}: could not create a worker key`);
  const service = spawnService([...gatewayOf(root, profile), "serve", "-c", config], {
    stderrPath: join(dir, "stderr.log"),
    env: envOf(root),
  });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/healthz`, 30_000);
  // Node b: the same checkout and database; the worker dials it, so node a forwards every request.
  let peer: ReturnType<typeof spawnService> | undefined;
  let workerUrl = url;
  if (values.forward) {
    const portB = freePort();
    const configB = join(dir, "config-b.yaml");
    await writeFile(configB, await configText(portB));
    peer = spawnService([...gatewayOf(root, profile, peerProfileDir), "serve", "-c", configB], {
      stderrPath: join(dir, "stderr-b.log"),
      env: envOf(root),
    });
    workerUrl = `http://127.0.0.1:${portB}`;
    await waitForHttp(`${workerUrl}/healthz`, 30_000);
  }
  const apiKey = key ?? keyInOutput(service.output());
  const headers: Record<string, string> = apiKey ? { authorization: `Bearer ${apiKey}` } : {};
  const worker = workerKey
    ? await startWorker(root, workerUrl, workerKey, upstreamUrl, dir, profile)
    : undefined;
  if (values.forward) {
    // Node a routes to the worker once its node directory has read node b's entry.
    const deadline = Date.now() + 30_000;
    for (;;) {
      const ok = await preflight(url, headers, fronted).then(
        () => true,
        (error: unknown) => {
          if (Date.now() > deadline) throw error;
          return false;
        },
      );
      if (ok) break;
      await Bun.sleep(200);
    }
  } else await preflight(url, headers, fronted);
  return {
    name: root === ROOT ? "this" : root,
    url,
    headers,
    service,
    ...(worker ? { worker } : {}),
    ...(peer ? { peer } : {}),
    ...(redis ? { redis } : {}),
    ...(shadowUpstream ? { shadowUpstream, adminHeaders: { authorization: `Bearer ${adminKey}` } } : {}),
  };
}

/**
 * With `--shadow`: copies the shadow upstream answered, copies the gateway shed
 * (`mindgw_shadow_shed_total`), and the shadow upstream's CPU seconds, so far.
 */
async function shadowCounts(g: Gateway): Promise<{ served: number; shed: number; cpu: number }> {
  const upstream = g.shadowUpstream as ReturnType<typeof spawnService>;
  const port = upstream.output().match(/\{"port":(\d+)\}/)?.[1];
  const { served } = (await (await fetch(`http://127.0.0.1:${port}/served`)).json()) as { served: number };
  const metrics = await (await fetch(`${g.url}/metrics`, { headers: g.adminHeaders })).text();
  const shed = Number(metrics.match(/^mindgw_shadow_shed_total (\d+)/m)?.[1] ?? Number.NaN);
  return { served, shed, cpu: await cpuSeconds(upstream.pid) };
}

/** `mindgw worker` from `root` for bench-model, started once the gateway listens; waits for it to register. */
async function startWorker(
  root: string,
  url: string,
  token: string,
  upstreamUrl: string,
  dir: string,
  profile: boolean,
): Promise<ReturnType<typeof spawnService>> {
  const args = ["worker", "--connect", url, "--token", token, "--upstream", `${upstreamUrl}/v1`];
  args.push("--models", "bench-model", "--name", "bench-worker", "--concurrency", "1024");
  const stderrPath = join(dir, "worker.log");
  const worker = spawnService([...gatewayOf(root, profile, workerProfileDir), ...args], {
    stderrPath,
    env: envOf(root),
  });
  const deadline = Date.now() + 30_000;
  while (!(await Bun.file(stderrPath).text()).includes("registered with the gateway")) {
    if (Date.now() > deadline) {
      await worker.stop();
      throw new Error(`${root}: the worker did not register:\n${await Bun.file(stderrPath).text()}`);
    }
    await Bun.sleep(50);
  }
  return worker;
}

async function main(): Promise<void> {
  // What the figures include: the config sets neither, so metrics are on (their default).
  const tracing = tracingRequested({ ...process.env, ...thisEnv }) ? "configured (OTEL_* set)" : "unset";
  console.log(`gateways: metrics on (the default), tracing ${tracing}, the access line at info`);
  const dir = await mkdtemp(join(tmpdir(), "mindgw-cpu-"));
  if (profileDir) await mkdir(profileDir, { recursive: true });
  if (workerProfileDir && values.worker) await mkdir(workerProfileDir, { recursive: true });
  if (peerProfileDir && values.forward) await mkdir(peerProfileDir, { recursive: true });
  const upstream = spawnService([
    "bun",
    join(ROOT, "bench/burst-upstream.ts"),
    ...(values.paced ? ["--paced"] : []),
  ]);
  const gateways: Gateway[] = [];
  const [postgres, redis] = values.cluster ? await Promise.all([startPostgres(), startRedis()]) : [];
  const cluster =
    postgres && redis
      ? { databaseUrl: (name: string) => postgres.createDatabase(name), redisUrl: redis.url }
      : undefined;
  /** CPU seconds so far of the PostgreSQL processes and of Redis (none without `--cluster`). */
  const serverCpu = async (): Promise<number[]> => {
    const sum = async (pids: readonly number[]) =>
      (await Promise.all(pids.map((pid) => cpuSeconds(pid).catch(() => 0)))).reduce((a, b) => a + b, 0);
    const redisPids = [...(redis?.pids() ?? []), ...gateways.flatMap((g) => g.redis?.pids() ?? [])];
    return postgres && redis ? [await sum(postgres.pids()), await sum(redisPids)] : [];
  };
  try {
    const upstreamUrl = `http://127.0.0.1:${await upstream.portLine()}`;
    for (const [i, setup] of setups.entries()) {
      const own = join(dir, `g${i}`);
      await mkdir(own);
      const g = await startGateway(setup.root, upstreamUrl, own, i === 0, setup.sqlite ? undefined : cluster);
      gateways.push({ ...g, name: setup.name });
    }
    const warmup = Number(values.warmup);
    if (warmup > 0)
      for (const g of gateways)
        for (const scenario of scenarios)
          await runWrk({
            baseUrl: g.url,
            headers: g.headers,
            scenario,
            connections,
            seconds: warmup,
            workDir: dir,
          });
    const results = new Map<string, number[]>();
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? gateways : [...gateways].reverse();
      for (const scenario of scenarios) {
        for (const g of order) {
          const before = await cpuSeconds(g.service.pid);
          const mainBefore = await mainThreadCpuSeconds(g.service.pid);
          const peerBefore = g.peer ? await cpuSeconds(g.peer.pid) : 0;
          const peerMainBefore = g.peer ? await mainThreadCpuSeconds(g.peer.pid) : 0;
          const serversBefore = await serverCpu();
          const workerBefore = g.worker ? await cpuSeconds(g.worker.pid) : 0;
          const shadowBefore = g.shadowUpstream && (await shadowCounts(g));
          const run = await runWrk({
            baseUrl: g.url,
            headers: g.headers,
            scenario,
            connections,
            seconds,
            workDir: dir,
          });
          const ownUsed = (await cpuSeconds(g.service.pid)) - before;
          const peerUsed = g.peer ? (await cpuSeconds(g.peer.pid)) - peerBefore : 0;
          const peerMainUsed = g.peer ? (await mainThreadCpuSeconds(g.peer.pid)) - peerMainBefore : 0;
          // --forward: both nodes' CPU (node a took the request, node b holds the worker).
          const used = ownUsed + peerUsed;
          const mainUsed = (await mainThreadCpuSeconds(g.service.pid)) - mainBefore + peerMainUsed;
          const serversAfter = await serverCpu();
          const workerUsed = g.worker ? (await cpuSeconds(g.worker.pid)) - workerBefore : 0;
          if (run.status_errors || run.socket_errors)
            console.error(
              `${scenario.name}: ${run.status_errors} status / ${run.socket_errors} socket errors`,
            );
          const us = (used * 1e6) / run.requests;
          const mainUs = (mainUsed * 1e6) / run.requests;
          const key = `${g.name} ${scenario.name}`;
          results.set(key, [...(results.get(key) ?? []), us]);
          // The main thread (the event loop) alone: what bounds throughput once work such as
          // the audit writes runs in threads of its own, which the process total still counts.
          results.set(`${key} (main thread)`, [...(results.get(`${key} (main thread)`) ?? []), mainUs]);
          const servers = serversAfter.map(
            (cpu, i) => ((cpu - (serversBefore[i] ?? 0)) * 1e6) / run.requests,
          );
          if (cluster)
            for (const [i, server] of ["PostgreSQL", "Redis"].entries())
              results.set(`${key} (${server})`, [
                ...(results.get(`${key} (${server})`) ?? []),
                servers[i] ?? 0,
              ]);
          const workerUs = (workerUsed * 1e6) / run.requests;
          if (g.peer) {
            const [a, b] = [(ownUsed * 1e6) / run.requests, (peerUsed * 1e6) / run.requests];
            results.set(`${key} (node a)`, [...(results.get(`${key} (node a)`) ?? []), a]);
            results.set(`${key} (node b)`, [...(results.get(`${key} (node b)`) ?? []), b]);
          }
          if (g.worker) {
            results.set(`${key} (worker)`, [...(results.get(`${key} (worker)`) ?? []), workerUs]);
            const sum = `${key} (gateway + worker)`;
            results.set(sum, [...(results.get(sum) ?? []), us + workerUs]);
          }
          let copies = "";
          if (g.shadowUpstream && shadowBefore) {
            const after = await shadowCounts(g);
            const sent = after.served - shadowBefore.served;
            const shed = after.shed - shadowBefore.shed;
            const upstreamUs = ((after.cpu - shadowBefore.cpu) * 1e6) / run.requests;
            const name = `${key} (shadow upstream)`;
            results.set(name, [...(results.get(name) ?? []), upstreamUs]);
            copies = `; shadow copies answered ${sent}, shed ${shed} (of ${run.requests} requests), shadow upstream ${upstreamUs.toFixed(1)} µs CPU/request`;
          }
          console.log(
            `${key} round ${round + 1}: ${run.rps.toFixed(0)} req/s, ${us.toFixed(1)} µs CPU/request (main thread ${mainUs.toFixed(1)}${g.peer ? `, node a ${((ownUsed * 1e6) / run.requests).toFixed(1)}, node b ${((peerUsed * 1e6) / run.requests).toFixed(1)}` : ""}${g.worker ? `, worker ${workerUs.toFixed(1)}` : ""}${cluster ? `; PostgreSQL ${servers[0]?.toFixed(1)}, Redis ${servers[1]?.toFixed(1)}` : ""})${copies}`,
          );
        }
      }
    }
    for (const [name, xs] of results) {
      const s = [...xs].sort((a, b) => a - b);
      console.log(
        `${name}: median ${s[Math.floor(s.length / 2)]?.toFixed(1)} µs (${s[0]?.toFixed(1)}–${s.at(-1)?.toFixed(1)})`,
      );
    }
  } finally {
    for (const g of gateways) {
      await g.worker?.stop();
      await g.service.stop();
      await g.peer?.stop();
      await g.redis?.stop();
      await g.shadowUpstream?.stop();
    }
    await upstream.stop();
    await postgres?.stop();
    await redis?.stop();
    await rm(dir, { recursive: true, force: true });
  }
  for (const [what, where] of [
    ["gateway", profileDir],
    ["worker", values.worker ? workerProfileDir : undefined],
    ["node b", values.forward ? peerProfileDir : undefined],
  ] as const) {
    if (!where) continue;
    const files = (await readdir(where)).filter((f) => f.endsWith(".cpuprofile")).sort();
    const last = files.at(-1);
    if (last) {
      const profile: CpuProfile = await Bun.file(join(where, last)).json();
      console.log(`\n${what} self time, ${last}:`);
      for (const line of topSelf(profile, 45)) console.log(line);
      console.log(
        `${what}: samples with a frame under (the builtins they call included; inlined code is its caller's):`,
      );
      for (const [folder, share] of sharesUnder(profile, values.under))
        console.log(`${share.toFixed(2).padStart(6)} %  ${folder}`);
    }
  }
}

await main();
