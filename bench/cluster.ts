/**
 * Cluster benchmark (issue 16): per-node throughput on PostgreSQL + Redis against one node on
 * SQLite at c=32, forwarded worker requests against local ones, and audit ingest into PostgreSQL.
 *   bun run build && bun bench/cluster.ts
 * Environment: BENCH_SECONDS (10), BENCH_CONCURRENCY (32), BENCH_AUDIT_ROWS (100000).
 * Real servers throughout: PostgreSQL and Redis are started in temp dirs (as the tests do), the
 * gateways are the compiled binary, the model is the fake upstream, the load is wrk.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeRecord } from "../src/audit/audit-fixture.ts";
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

async function load(
  gateway: GatewayProcess,
  key: string,
  model: string,
  workDir: string,
): Promise<WrkResult> {
  return runWrk({
    baseUrl: gateway.url,
    headers: { authorization: `Bearer ${key}` },
    scenario: chat(model),
    connections,
    seconds,
    workDir,
  });
}

const line = (name: string, r: WrkResult) =>
  `| ${name} | ${r.rps.toFixed(0)} | ${(r.p50 / 1000).toFixed(1)} | ${(r.p99 / 1000).toFixed(1)} | ${r.status_errors + r.socket_errors} |`;

const workDir = await mkdtemp(join(tmpdir(), "mindgw-bench-cluster-"));
const [fake, postgres, redis] = await Promise.all([spawnFakeUpstream(), startPostgres(), startRedis()]);
const started: GatewayProcess[] = [];
const rows: string[] = [];
try {
  // One node on SQLite, a key with limits (so admission counts, locally).
  const single = await spawnGateway({ config: upstreamModels(fake.url) });
  started.push(single);
  const singleKey = (
    await createKey(
      { url: single.url, adminKey: single.adminKey },
      { name: "bench", rpm: 100_000_000, tpm: 1_000_000_000 },
    )
  ).key;
  await load(single, singleKey, "fake-model", workDir); // warm-up
  const sqlite = await load(single, singleKey, "fake-model", workDir);
  rows.push(line("one node, SQLite", sqlite));
  await single.stop();

  // Two cluster nodes on PostgreSQL + Redis; load on one: per-node throughput with every
  // admission a Redis round trip and every audit row going to PostgreSQL.
  const databaseUrl = await postgres.createDatabase("bench");
  const a = await spawnNode({ name: "a", databaseUrl, redisUrl: redis.url, extra: upstreamModels(fake.url) });
  started.push(a);
  const b = await spawnNode({ name: "b", databaseUrl, redisUrl: redis.url, extra: upstreamModels(fake.url) });
  started.push(b);
  const key = (
    await createKey(
      { url: a.url, adminKey: a.adminKey },
      { name: "bench", rpm: 100_000_000, tpm: 1_000_000_000 },
    )
  ).key;
  await load(a, key, "fake-model", workDir);
  const cluster = await load(a, key, "fake-model", workDir);
  rows.push(line("cluster node, PostgreSQL + Redis", cluster));

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
    await load(b, key, "worker-model", workDir);
    const local = await load(b, key, "worker-model", workDir);
    const forwarded = await load(a, key, "worker-model", workDir);
    rows.push(line("worker, local (node b)", local));
    rows.push(line("worker, forwarded (a → b)", forwarded));
    rows.push("");
    rows.push(
      `ratios: cluster/SQLite ${(cluster.rps / sqlite.rps).toFixed(2)} (target ≥ 0.9); forwarded/local ${(forwarded.rps / local.rps).toFixed(2)} (target ≥ 0.8)`,
    );
  } finally {
    await worker.stop("SIGKILL");
  }

  // Audit ingest straight into the PostgreSQL store, in the writer's batch size.
  const storage = await openPostgresStorage({
    url: await postgres.createDatabase("ingest"),
    pool: 4,
    statementTimeoutMs: 60_000,
    connectTimeoutMs: 5_000,
    sslmode: "disable",
  });
  const batch = Array.from({ length: 500 }, (_, i) =>
    makeRecord({ requestId: `r${i}`, startedAt: Date.now() + i }),
  );
  const t0 = performance.now();
  for (let written = 0; written < auditRows; written += batch.length) await storage.audit.insert(batch);
  const rate = auditRows / ((performance.now() - t0) / 1000);
  await storage.close();
  rows.push(
    `audit ingest into PostgreSQL: ${auditRows} rows in batches of 500: ${rate.toFixed(0)} rows/s (target ≥ 20,000)`,
  );
} finally {
  for (const gateway of started) await gateway.stop().catch(() => {});
  await Promise.all([fake.stop("SIGKILL"), redis.stop(), postgres.stop()]);
  await rm(workDir, { recursive: true, force: true });
}
console.log(
  `c=${connections}, ${seconds}s per run, load average ${(await Bun.file("/proc/loadavg").text()).split(" ").slice(0, 3).join(" ")}`,
);
console.log("| target | req/s | p50 ms | p99 ms | errors |\n| --- | --- | --- | --- | --- |");
for (const row of rows) console.log(row);
