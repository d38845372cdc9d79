/**
 * Cluster benchmark (issue 16): per-node throughput on PostgreSQL + Redis against one node on
 * SQLite at c=32, forwarded worker requests against local ones, and audit ingest into PostgreSQL.
 *   bun run build && bun bench/cluster.ts
 * Environment: BENCH_SECONDS (10), BENCH_REPEATS (4), BENCH_CONCURRENCY (32), BENCH_AUDIT_ROWS (100000).
 * With the defaults it takes about 4 minutes.
 * Needs wrk, PostgreSQL 15 binaries, redis-server and taskset (util-linux), and at least 2 cores.
 * Real servers throughout: PostgreSQL and Redis are started in temp dirs (as the tests do), the
 * gateways are the compiled binary, the load is wrk. The SQLite node and the two cluster nodes
 * run side by side (the idle ones idle), so their runs can alternate.
 * Per node, each node (SQLite; cluster node a) in front of the burst upstream (bench/burst-upstream.ts:
 * cheap, so that what shares the gateway's machine stays light), after a warm-up:
 * - whole machine: once, nothing pinned, every process shares every core (what one box does);
 * - per node: BENCH_REPEATS pairs of runs (SQLite and cluster, alternating which goes first), the
 *   measured gateway pinned to core 0 and everything else (PostgreSQL, Redis, the upstreams, the
 *   idle gateways, wrk and this script) to the others, so both gateways get the same one core and
 *   a cluster node's database and Redis do not take it (as on their own hosts). Every pinned run
 *   gets a verdict: the figure is the gateway's only if its core is saturated and the others are
 *   not; a pair's ratio counts only if both its runs were gateway-bound.
 * Forwarded against local: a worker (on the faithful fake upstream) held by node b, BENCH_REPEATS
 * pairs of runs to b (local) and to a (forwarded), alternating, nothing pinned.
 * Besides req/s, each run reports CPU milliseconds per request of the gateway process(es), of
 * PostgreSQL, of Redis and of the upstream: the steady measure on a shared machine.
 * Audit ingest is the gateway's own audit writer (its batch size) over the PostgreSQL store.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeRecord } from "../src/audit/audit-fixture.ts";
import { AuditWriter } from "../src/audit/audit-writer.ts";
import { openPostgresStorage } from "../src/storage/postgres/postgres-storage.ts";
import { createKey } from "../test/e2e/harness/admin-api.ts";
import { spawnNode } from "../test/e2e/harness/cluster-nodes.ts";
import { startPostgres } from "../test/e2e/harness/postgres-server.ts";
import { startRedis } from "../test/e2e/harness/redis-server.ts";
import { type GatewayProcess, spawnGateway } from "../test/e2e/harness/spawn-gateway.ts";
import {
  createKey as createWorkerKey,
  spawnFakeUpstream,
  spawnWorker,
  waitForWorkers,
} from "../test/e2e/harness/spawn-worker.ts";
import { waitFor } from "../test/e2e/harness/wait-for.ts";
import { ALL_CORES, busyBetween, coreTicks, GATEWAY_CORE, OTHER_CORES, pin } from "./cpu-pin.ts";
import { cpuSeconds } from "./cpu-time.ts";
import { spawnService } from "./service.ts";
import { median } from "./stats.ts";
import { runWrk, type WrkResult } from "./wrk.ts";

const seconds = Number(process.env.BENCH_SECONDS ?? "10");
const repeats = Math.max(1, Number(process.env.BENCH_REPEATS ?? "4"));
const connections = Number(process.env.BENCH_CONCURRENCY ?? "32");
const auditRows = Number(process.env.BENCH_AUDIT_ROWS ?? "100000");

const upstreamModels = (fakeUrl: string, burstUrl: string) => ({
  providers: [
    { name: "fake", type: "openai", base_url: `${fakeUrl}/v1` },
    { name: "burst", type: "openai", base_url: `${burstUrl}/v1` },
  ],
  models: [
    { name: "fake-model", routes: [{ provider: "fake", model: "fake-model" }] },
    { name: "burst-model", routes: [{ provider: "burst", model: "bench-model" }] },
  ],
});
const chat = (model: string) => ({
  name: `chat-${model}`,
  path: "/v1/chat/completions",
  body: { model, messages: [{ role: "user", content: "hi" }] },
});

/**
 * Starts counting the CPU of the processes `list` names; the returned function gives the seconds
 * they used since. A process that started meanwhile (a new PostgreSQL backend) counts whole; one
 * that exited meanwhile counts nothing more (/proc forgets it), never less than nothing.
 */
async function cpuMeter(list: () => readonly number[]): Promise<() => Promise<number>> {
  const read = (pid: number) => cpuSeconds(pid).catch(() => null);
  const start = new Map<number, number>();
  for (const pid of list()) {
    const seconds = await read(pid);
    if (seconds !== null) start.set(pid, seconds);
  }
  return async () => {
    let used = 0;
    for (const pid of new Set([...start.keys(), ...list()])) {
      const seconds = await read(pid);
      if (seconds !== null) used += seconds - (start.get(pid) ?? 0);
    }
    return used;
  };
}

/** The servers whose CPU per request is reported apart (a SQLite node's PostgreSQL and Redis idle). */
interface Servers {
  postgres: () => number[];
  redis: () => number[];
  upstream: () => number[];
}

type Measured = WrkResult & {
  gatewayMsPerRequest: number;
  postgresMsPerRequest: number;
  redisMsPerRequest: number;
  upstreamMsPerRequest: number;
  /** Each gateway's own CPU ms per request (in the order given), and the worker's (0 without). */
  perGatewayMs: number[];
  workerMsPerRequest: number;
  /** The gateway process(es)' CPU seconds per second of the run (1.0 = one core saturated). */
  gatewayCores: number;
  /** Each core's busy fraction during the run. */
  coreBusy: number[];
};

/** One wrk run at `gateway` (wrk on `cpus` when given); CPU per request of `gateways` and servers. */
async function load(
  gateway: GatewayProcess,
  key: string,
  model: string,
  cpu: { gateways: readonly GatewayProcess[]; servers: Servers; worker?: number },
  cpus?: string,
): Promise<Measured> {
  const meters = await Promise.all(
    [
      () => cpu.gateways.map((g) => g.proc.pid),
      cpu.servers.postgres,
      cpu.servers.redis,
      cpu.servers.upstream,
      () => (cpu.worker === undefined ? [] : [cpu.worker]),
      ...cpu.gateways.map((g) => () => [g.proc.pid]),
    ].map(cpuMeter),
  );
  const [ticks0, t0] = [await coreTicks(), performance.now()];
  const result = await runWrk({
    baseUrl: gateway.url,
    headers: { authorization: `Bearer ${key}` },
    scenario: chat(model),
    connections,
    seconds,
    workDir,
    ...(cpus === undefined ? {} : { cpus }),
  });
  const [ticks1, t1] = [await coreTicks(), performance.now()];
  const [gatewaysUsed, postgresUsed, redisUsed, upstreamUsed, workerUsed, ...each] = await Promise.all(
    meters.map((used) => used()),
  );
  const per = (seconds = 0) => (result.requests > 0 ? (seconds * 1000) / result.requests : 0);
  return {
    ...result,
    gatewayMsPerRequest: per(gatewaysUsed),
    postgresMsPerRequest: per(postgresUsed),
    redisMsPerRequest: per(redisUsed),
    upstreamMsPerRequest: per(upstreamUsed),
    perGatewayMs: each.map((used) => per(used)),
    workerMsPerRequest: per(workerUsed),
    gatewayCores: (gatewaysUsed ?? 0) / ((t1 - t0) / 1000),
    coreBusy: busyBetween(ticks0, ticks1),
  };
}

/** Pins `gateway` alone to core 0 and `others` elsewhere; then one measured run at it. */
async function pinned(
  gateway: GatewayProcess,
  key: string,
  servers: Servers,
  others: readonly number[],
): Promise<Measured> {
  pin([gateway.proc.pid], GATEWAY_CORE);
  pin(others, OTHER_CORES);
  return load(gateway, key, "burst-model", { gateways: [gateway], servers }, OTHER_CORES);
}

const ms = (value: number) => value.toFixed(3);
const pct = (fraction: number) => `${(fraction * 100).toFixed(0)}%`;
const line = (name: string, r: Measured) =>
  `| ${name} | ${r.rps.toFixed(0)} | ${(r.p50 / 1000).toFixed(1)} | ${(r.p99 / 1000).toFixed(1)} | ${r.status_errors}/${r.socket_errors} | ${ms(r.gatewayMsPerRequest)} | ${ms(r.postgresMsPerRequest)} | ${ms(r.redisMsPerRequest)} | ${ms(r.upstreamMsPerRequest)} | ${r.gatewayCores.toFixed(2)} | ${r.coreBusy.map(pct).join(" / ")} |`;

/** Whether a pinned run measured the gateway: its core saturated, the others not. */
function gatewayBound(r: Measured): boolean {
  const [, ...rest] = r.coreBusy;
  return r.gatewayCores >= 0.9 && Math.max(0, ...rest) < 0.9;
}
function pinnedVerdict(name: string, r: Measured): string {
  const [gatewayCore = 0, ...rest] = r.coreBusy;
  const othersBusy = Math.max(0, ...rest);
  return `${name}: gateway ${r.gatewayCores.toFixed(2)} of a core (core 0 ${pct(gatewayCore)} busy), other cores at most ${pct(othersBusy)} busy: ${gatewayBound(r) ? "the gateway is the bottleneck" : "NOT gateway-bound, this run does not count"}`;
}

/** `min–median–max` of some ratios. */
function spread(values: readonly number[]): string {
  if (values.length === 0) return "none";
  return `min ${Math.min(...values).toFixed(2)}, median ${median(values).toFixed(2)}, max ${Math.max(...values).toFixed(2)}`;
}

// Fail before anything starts when the pinned runs cannot be made.
pin([], ALL_CORES);
const workDir = await mkdtemp(join(tmpdir(), "mindgw-bench-cluster-"));
// PostgreSQL first: its initdb runs synchronously and, on a loaded machine, for longer than the
// upstream's start-up wait, which it would otherwise hold up.
const postgres = await startPostgres();
const burst = spawnService(["bun", join(import.meta.dir, "burst-upstream.ts")]);
const [fake, redis] = await Promise.all([spawnFakeUpstream(), startRedis()]);
const started: GatewayProcess[] = [];
const rows: string[] = [];
const verdicts: string[] = [];
try {
  const burstUrl = `http://127.0.0.1:${await burst.portLine()}`;
  const servers: Servers = {
    postgres: () => postgres.pids(),
    redis: () => redis.pids(),
    upstream: () => [fake.proc.pid, burst.pid],
  };
  // One node on SQLite, a key with limits (so admission counts, locally).
  const single = await spawnGateway({ config: upstreamModels(fake.url, burstUrl) });
  started.push(single);
  const singleKey = (
    await createKey(
      { url: single.url, adminKey: single.adminKey },
      { name: "bench", rpm: 100_000_000, tpm: 1_000_000_000 },
    )
  ).key;
  // Two cluster nodes on PostgreSQL + Redis; load on one: per-node throughput with every
  // admission a Redis round trip and every audit row going to PostgreSQL.
  const databaseUrl = await postgres.createDatabase("bench");
  // The nodes run on the gateway's defaults where the test harness speeds things up (audit
  // flushed every 20 ms, heartbeat every 200 ms), as the SQLite node does.
  const node = (name: string) =>
    spawnNode({
      name,
      databaseUrl,
      redisUrl: redis.url,
      heartbeat: "1s",
      extra: { ...upstreamModels(fake.url, burstUrl), audit: { flush_ms: 100 } },
    });
  const a = await node("a");
  started.push(a);
  const b = await node("b");
  started.push(b);
  const key = (
    await createKey(
      { url: a.url, adminKey: a.adminKey },
      { name: "bench", rpm: 100_000_000, tpm: 1_000_000_000 },
    )
  ).key;
  // Everything but the measured gateway, for the pinned runs: the servers, the upstreams, this
  // script and the idle gateways (wrk is started on the same cores).
  const allBut = (gateway: GatewayProcess) => [
    ...postgres.pids(),
    ...redis.pids(),
    fake.proc.pid,
    burst.pid,
    process.pid,
    ...started.filter((g) => g !== gateway).map((g) => g.proc.pid),
  ];
  const nodes = [
    { name: "SQLite", gateway: single, key: singleKey },
    { name: "cluster", gateway: a, key },
  ] as const;
  const whole: Measured[] = [];
  for (const n of nodes) {
    await load(n.gateway, n.key, "burst-model", { gateways: [n.gateway], servers }); // warm-up
    whole.push(await load(n.gateway, n.key, "burst-model", { gateways: [n.gateway], servers }));
  }
  rows.push(line("one node, SQLite — whole machine", whole[0] as Measured));
  rows.push(line("cluster node, PostgreSQL + Redis — whole machine", whole[1] as Measured));

  // Per node: pairs of pinned runs, alternating which node goes first.
  const pinnedRatios: number[] = [];
  const validRatios: number[] = [];
  try {
    for (let repeat = 1; repeat <= repeats; repeat++) {
      const order = repeat % 2 ? nodes : [...nodes].reverse();
      const runs = new Map<string, Measured>();
      for (const n of order) runs.set(n.name, await pinned(n.gateway, n.key, servers, allBut(n.gateway)));
      const [sqliteRun, clusterRun] = [runs.get("SQLite"), runs.get("cluster")] as [Measured, Measured];
      rows.push(line(`one node, SQLite — per node (pinned), repeat ${repeat}`, sqliteRun));
      rows.push(line(`cluster node, PostgreSQL + Redis — per node (pinned), repeat ${repeat}`, clusterRun));
      const ratio = clusterRun.rps / sqliteRun.rps;
      const valid = gatewayBound(sqliteRun) && gatewayBound(clusterRun);
      pinnedRatios.push(ratio);
      if (valid) validRatios.push(ratio);
      verdicts.push(pinnedVerdict(`repeat ${repeat}, SQLite`, sqliteRun));
      verdicts.push(pinnedVerdict(`repeat ${repeat}, cluster`, clusterRun));
      verdicts.push(
        `repeat ${repeat}: cluster/SQLite per node ${ratio.toFixed(2)}, ${valid ? "valid" : "NOT valid (a run was not gateway-bound)"}`,
      );
    }
  } finally {
    pin(started.map((g) => g.proc.pid).concat(allBut(a)), ALL_CORES);
  }

  // A worker held by node b: requests to b are local, to a are forwarded.
  const token = await createWorkerKey(b.url, a.adminKey ?? "", {
    name: "fleet",
    role: "worker",
    models: ["*"],
  });
  const worker = spawnWorker({
    gateway: b.url,
    token,
    upstream: `${fake.url}/v1`,
    name: "w",
    models: ["worker-model"],
    concurrency: 64,
  });
  const forwardRatios: number[] = [];
  try {
    await waitForWorkers(b.url, a.adminKey ?? "", ["w"]);
    await waitFor("node a to see the worker", async () => {
      const models = await fetch(`${a.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } });
      return (await models.text()).includes("worker-model");
    });
    const both = { gateways: [a, b], servers, worker: worker.proc.pid };
    /** Where a worker row's CPU went: each node and the worker, ms a request. */
    const split = (r: Measured) =>
      `node a ${ms(r.perGatewayMs[0] ?? 0)} + node b ${ms(r.perGatewayMs[1] ?? 0)}, worker ${ms(r.workerMsPerRequest)} ms CPU/req`;
    await load(b, key, "worker-model", both); // warm-up
    for (let repeat = 1; repeat <= repeats; repeat++) {
      const order = repeat % 2 ? [b, a] : [a, b];
      const runs = new Map<GatewayProcess, Measured>();
      for (const gateway of order) runs.set(gateway, await load(gateway, key, "worker-model", both));
      const [local, forwarded] = [runs.get(b), runs.get(a)] as [Measured, Measured];
      rows.push(line(`worker, local (node b), repeat ${repeat} (${split(local)})`, local));
      rows.push(line(`worker, forwarded (a → b), repeat ${repeat} (${split(forwarded)})`, forwarded));
      forwardRatios.push(forwarded.rps / local.rps);
    }
    // Which way the forwards went: node a's peer link to b (the shape measured), or HTTP.
    const status = (await (
      await fetch(`${a.url}/admin/api/status`, { headers: { authorization: `Bearer ${a.adminKey ?? ""}` } })
    ).json()) as { cluster?: { links?: { node: string; sentOverLink: number; sentOverHttp: number }[] } };
    const links = status.cluster?.links ?? [];
    const overLink = links.reduce((n, l) => n + l.sentOverLink, 0);
    const overHttp = links.reduce((n, l) => n + l.sentOverHttp, 0);
    verdicts.push(`forwarded calls from node a: ${overLink} over its peer link, ${overHttp} over HTTP`);
  } finally {
    await worker.stop("SIGKILL");
  }
  const validCount = `${validRatios.length} of ${repeats} repeats valid`;
  // The verdict needs at least two valid repeats; it is the median of those.
  const decided =
    validRatios.length >= 2
      ? `target ${median(validRatios) >= 0.9 ? "met" : "missed"} by the median of the valid repeats`
      : "fewer than 2 valid repeats: this run decides nothing";
  verdicts.push(
    `cluster/SQLite per node (pinned), target ≥ 0.9: ${validCount}: ${spread(validRatios)} (${decided}); every repeat: ${spread(pinnedRatios)}`,
  );
  verdicts.push(
    `cluster/SQLite whole machine: ${((whole[1]?.rps ?? 0) / (whole[0]?.rps ?? 1)).toFixed(2)}; forwarded/local (target ≥ 0.8), ${repeats} repeats: ${spread(forwardRatios)}`,
  );
  // Audit ingest: the gateway's audit writer (batching as in serve) over the PostgreSQL store,
  // given a backlog of rows like those a gateway writes.
  const storage = await openPostgresStorage({
    url: await postgres.createDatabase("ingest"),
    pool: 4,
    statementTimeoutMs: 60_000,
    connectTimeoutMs: 5_000,
    sslmode: "disable",
  });
  const writer = new AuditWriter({
    store: storage.audit,
    ...(storage.audit.batchSize ? { batchSize: storage.audit.batchSize } : {}),
    maxQueue: auditRows,
  });
  const base = Date.now();
  const records = Array.from({ length: auditRows }, (_, i) =>
    makeRecord({
      requestId: `req_${base}_${i}`,
      startedAt: base + i,
      route: "provider:fake",
      upstreamModel: "fake-model",
      userAgent: "OpenAI/JS 6.9.1",
    }),
  );
  const [own0, pg] = [await cpuSeconds(process.pid), await cpuMeter(() => postgres.pids())];
  const t0 = performance.now();
  for (const record of records) writer.write(record);
  const stats = await writer.close();
  const elapsed = (performance.now() - t0) / 1000;
  const [own1, pgUsed] = [await cpuSeconds(process.pid), await pg()];
  await storage.close();
  const us = (cpu: number) => ((cpu * 1e6) / auditRows).toFixed(1);
  verdicts.push(
    `audit ingest into PostgreSQL: ${stats.written} of ${auditRows} rows, batches of ${storage.audit.batchSize ?? 500}: ${(auditRows / elapsed).toFixed(0)} rows/s (target ≥ 20,000); CPU per row: writer ${us(own1 - own0)} µs, PostgreSQL ${us(pgUsed)} µs`,
  );
} finally {
  for (const gateway of started) await gateway.stop().catch(() => {});
  await Promise.all([fake.stop("SIGKILL"), burst.stop(), redis.stop(), postgres.stop()]);
  await rm(workDir, { recursive: true, force: true });
}
console.log(
  `c=${connections}, ${seconds}s per run, load average ${(await Bun.file("/proc/loadavg").text()).split(" ").slice(0, 3).join(" ")}`,
);
console.log(
  "| target | req/s | p50 ms | p99 ms | non-2xx/socket errors | gateway CPU ms/req | PostgreSQL CPU ms/req | Redis CPU ms/req | upstream CPU ms/req | gateway cores | busy per core |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
);
for (const row of rows) console.log(row);
console.log("");
for (const verdict of verdicts) console.log(verdict);
