/**
 * Cluster benchmark (issue 16): per-node throughput on PostgreSQL + Redis against one node on
 * SQLite at c=32, forwarded worker requests against local ones, and audit ingest into PostgreSQL.
 *   bun run build && bun bench/cluster.ts
 * Environment: BENCH_SECONDS (10), BENCH_CONCURRENCY (32), BENCH_AUDIT_ROWS (100000).
 * Needs wrk, PostgreSQL 15 binaries, redis-server and taskset (util-linux), and at least 2 cores.
 * Real servers throughout: PostgreSQL and Redis are started in temp dirs (as the tests do), the
 * gateways are the compiled binary, the model is the fake upstream, the load is wrk.
 * Each node (SQLite, then cluster) is measured twice after a warm-up:
 * - whole machine: nothing pinned, every process shares every core (what one box does);
 * - per node: the gateway pinned to core 0, and PostgreSQL, Redis, the fake upstream, wrk and
 *   this script to the others, so both gateways get the same one core and a cluster node's
 *   database and Redis do not take it (as on their own hosts). The row says how busy each core
 *   was: the figure is the gateway's only if its core is saturated and the others are not.
 * Besides req/s, each run reports CPU milliseconds per request of the gateway process(es), of
 * PostgreSQL and of Redis: the steady measure on a shared machine, where req/s swings.
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
import { runWrk, type WrkResult } from "./wrk.ts";

const seconds = Number(process.env.BENCH_SECONDS ?? "10");
const connections = Number(process.env.BENCH_CONCURRENCY ?? "32");
const auditRows = Number(process.env.BENCH_AUDIT_ROWS ?? "100000");

const upstreamModels = (fakeUrl: string) => ({
  providers: [{ name: "fake", type: "openai", base_url: `${fakeUrl}/v1` }],
  models: [{ name: "fake-model", routes: [{ provider: "fake", model: "fake-model" }] }],
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

/** The servers a node uses (none for SQLite), whose CPU per request is reported apart. */
interface Servers {
  postgres: () => number[];
  redis: () => number[];
}
const NO_SERVERS: Servers = { postgres: () => [], redis: () => [] };

type Measured = WrkResult & {
  gatewayMsPerRequest: number;
  postgresMsPerRequest: number;
  redisMsPerRequest: number;
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
  cpu: { gateways: readonly GatewayProcess[]; servers: Servers },
  cpus?: string,
): Promise<Measured> {
  const meters = await Promise.all(
    [() => cpu.gateways.map((g) => g.proc.pid), cpu.servers.postgres, cpu.servers.redis].map(cpuMeter),
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
  const [gatewaysUsed, postgresUsed, redisUsed] = await Promise.all(meters.map((used) => used()));
  const per = (seconds = 0) => (result.requests > 0 ? (seconds * 1000) / result.requests : 0);
  return {
    ...result,
    gatewayMsPerRequest: per(gatewaysUsed),
    postgresMsPerRequest: per(postgresUsed),
    redisMsPerRequest: per(redisUsed),
    gatewayCores: (gatewaysUsed ?? 0) / ((t1 - t0) / 1000),
    coreBusy: busyBetween(ticks0, ticks1),
  };
}

/**
 * One node's figures: a warm-up, a run with nothing pinned, then a run with the gateway alone on
 * core 0 and `others` (its servers, the upstream, this script; wrk is started there) elsewhere.
 */
async function perNode(
  gateway: GatewayProcess,
  key: string,
  servers: Servers,
  others: () => number[],
): Promise<{ whole: Measured; pinned: Measured }> {
  const cpu = { gateways: [gateway], servers };
  await load(gateway, key, "fake-model", cpu); // warm-up
  const whole = await load(gateway, key, "fake-model", cpu);
  pin([gateway.proc.pid], GATEWAY_CORE);
  pin(others(), OTHER_CORES);
  try {
    return { whole, pinned: await load(gateway, key, "fake-model", cpu, OTHER_CORES) };
  } finally {
    pin([gateway.proc.pid, ...others()], ALL_CORES);
  }
}

const ms = (value: number) => value.toFixed(3);
const pct = (fraction: number) => `${(fraction * 100).toFixed(0)}%`;
const line = (name: string, r: Measured) =>
  `| ${name} | ${r.rps.toFixed(0)} | ${(r.p50 / 1000).toFixed(1)} | ${(r.p99 / 1000).toFixed(1)} | ${r.status_errors}/${r.socket_errors} | ${ms(r.gatewayMsPerRequest)} | ${ms(r.postgresMsPerRequest)} | ${ms(r.redisMsPerRequest)} | ${r.gatewayCores.toFixed(2)} | ${r.coreBusy.map(pct).join(" / ")} |`;

/** Whether a pinned run measured the gateway: its core saturated, the others not. */
function pinnedVerdict(name: string, r: Measured): string {
  const [gatewayCore = 0, ...rest] = r.coreBusy;
  const othersBusy = Math.max(0, ...rest);
  const ok = r.gatewayCores >= 0.9 && othersBusy < 0.9;
  return `${name}: gateway ${r.gatewayCores.toFixed(2)} of a core (core 0 ${pct(gatewayCore)} busy), other cores at most ${pct(othersBusy)} busy: ${ok ? "the gateway is the bottleneck" : "NOT gateway-bound, this per-node figure does not hold"}`;
}

// Fail before anything starts when the pinned runs cannot be made.
pin([], ALL_CORES);
const workDir = await mkdtemp(join(tmpdir(), "mindgw-bench-cluster-"));
// PostgreSQL first: its initdb runs synchronously and, on a loaded machine, for longer than the
// upstream's start-up wait, which it would otherwise hold up.
const postgres = await startPostgres();
const [fake, redis] = await Promise.all([spawnFakeUpstream(), startRedis()]);
const started: GatewayProcess[] = [];
const rows: string[] = [];
try {
  // Everything but the gateway, for the pinned runs: the servers, the upstream and this script
  // (wrk is started on the same cores).
  const others = () => [...postgres.pids(), ...redis.pids(), fake.proc.pid, process.pid];
  // One node on SQLite, a key with limits (so admission counts, locally).
  const single = await spawnGateway({ config: upstreamModels(fake.url) });
  started.push(single);
  const singleKey = (
    await createKey(
      { url: single.url, adminKey: single.adminKey },
      { name: "bench", rpm: 100_000_000, tpm: 1_000_000_000 },
    )
  ).key;
  const sqlite = await perNode(single, singleKey, NO_SERVERS, others);
  await single.stop();

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
      extra: { ...upstreamModels(fake.url), audit: { flush_ms: 100 } },
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
  const servers: Servers = { postgres: () => postgres.pids(), redis: () => redis.pids() };
  // Node b idles beside it (heartbeat only); it shares the other cores in the pinned run.
  const cluster = await perNode(a, key, servers, () => [...others(), b.proc.pid]);
  rows.push(line("one node, SQLite — whole machine", sqlite.whole));
  rows.push(line("cluster node, PostgreSQL + Redis — whole machine", cluster.whole));
  rows.push(line("one node, SQLite — per node (pinned)", sqlite.pinned));
  rows.push(line("cluster node, PostgreSQL + Redis — per node (pinned)", cluster.pinned));

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
  try {
    await waitForWorkers(b.url, a.adminKey ?? "", ["w"]);
    await waitFor("node a to see the worker", async () => {
      const models = await fetch(`${a.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } });
      return (await models.text()).includes("worker-model");
    });
    const both = { gateways: [a, b], servers };
    await load(b, key, "worker-model", both);
    const local = await load(b, key, "worker-model", both);
    const forwarded = await load(a, key, "worker-model", both);
    rows.push(line("worker, local (node b)", local));
    rows.push(line("worker, forwarded (a → b)", forwarded));
    rows.push("");
    rows.push(pinnedVerdict("per node, SQLite", sqlite.pinned));
    rows.push(pinnedVerdict("per node, cluster", cluster.pinned));
    rows.push(
      `ratios: cluster/SQLite per node (pinned) ${(cluster.pinned.rps / sqlite.pinned.rps).toFixed(2)} (target ≥ 0.9); whole machine ${(cluster.whole.rps / sqlite.whole.rps).toFixed(2)}; forwarded/local ${(forwarded.rps / local.rps).toFixed(2)} (target ≥ 0.8)`,
    );
  } finally {
    await worker.stop("SIGKILL");
  }

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
  rows.push(
    `audit ingest into PostgreSQL: ${stats.written} of ${auditRows} rows, batches of ${storage.audit.batchSize ?? 500}: ${(auditRows / elapsed).toFixed(0)} rows/s (target ≥ 20,000); CPU per row: writer ${us(own1 - own0)} µs, PostgreSQL ${us(pgUsed)} µs`,
  );
} finally {
  for (const gateway of started) await gateway.stop().catch(() => {});
  await Promise.all([fake.stop("SIGKILL"), redis.stop(), postgres.stop()]);
  await rm(workDir, { recursive: true, force: true });
}
console.log(
  `c=${connections}, ${seconds}s per run, load average ${(await Bun.file("/proc/loadavg").text()).split(" ").slice(0, 3).join(" ")}`,
);
console.log(
  "| target | req/s | p50 ms | p99 ms | non-2xx/socket errors | gateway CPU ms/req | PostgreSQL CPU ms/req | Redis CPU ms/req | gateway cores | busy per core |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
);
for (const row of rows) console.log(row);
