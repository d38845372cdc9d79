/**
 * Soak (issue 12): the compiled gateway under mixed traffic for a long while, with faults on a
 * schedule, sampled all along. A benchmark, not a test: it prints a table and a verdict; the
 * curve goes in docs/RELIABILITY.md.
 *   bun run build && bun bench/soak.ts
 * Environment: SOAK_SECONDS (600), SOAK_LOOPS (24 concurrent client loops), SOAK_ABORT (0.05:
 * share of streams the client abandons mid-way), SOAK_RELOAD_S (30: a config reload this often),
 * SOAK_WORKER_KILL_S (60: the worker is SIGKILLed and restarted this often), SOAK_SAMPLE_S (10),
 * SOAK_HEAP_STATS (a file: the gateway gets MINDGW_HEAP_STATS and a SIGUSR2 at each sample, so the
 * file gets one line of JS heap statistics per sample; compare with bench/heap-diff.ts).
 *
 * Traffic: OpenAI chat (stream and not) to an upstream route and to a worker route, Anthropic
 * messages translated to the OpenAI upstream. Sampled: the gateway's RSS and open file
 * descriptors (/proc), and event-loop delay as seen from outside: the round trip of
 * `GET /healthz`, which does nothing but needs the loop.
 */
import { readdirSync } from "node:fs";
import { createKey } from "../test/e2e/harness/admin-api.ts";
import { spawnGateway } from "../test/e2e/harness/spawn-gateway.ts";
import { spawnWorker, type WorkerProcess } from "../test/e2e/harness/spawn-worker.ts";
import { startFakeUpstream } from "../test/fake-upstream/fake-upstream.ts";
import { rssKib } from "./service.ts";

const env = process.env;
const seconds = Number(env.SOAK_SECONDS ?? "600");
const loops = Number(env.SOAK_LOOPS ?? "24");
const abortShare = Number(env.SOAK_ABORT ?? "0.05");
const reloadEvery = Number(env.SOAK_RELOAD_S ?? "30") * 1000;
const killEvery = Number(env.SOAK_WORKER_KILL_S ?? "60") * 1000;
const sampleEvery = Number(env.SOAK_SAMPLE_S ?? "10") * 1000;
const heapStatsFile = env.SOAK_HEAP_STATS;

const fake = await startFakeUpstream({ record: false });
const config = (generation: number) => ({
  providers: [{ name: "fake", type: "openai", base_url: `${fake.url}/v1` }],
  models: [
    { name: "up", aliases: [`up-v${generation}`], routes: [{ provider: "fake", model: "up" }] },
    {
      name: "gpu",
      routes: [
        { provider: "workers", model: "gpu" },
        { provider: "fake", model: "gpu" },
      ],
    },
  ],
  routing: { retries: 1, backoff: "20ms" },
  audit: { flush_ms: 100 },
});
const gw = await spawnGateway({
  config: config(0),
  ...(heapStatsFile ? { env: { MINDGW_HEAP_STATS: heapStatsFile } } : {}),
});
const admin = gw.adminKey ?? "";
const workerKey = await createKey(gw, { name: "soak-fleet", role: "worker", models: ["*"] });
const startWorker = () =>
  spawnWorker({
    gateway: gw.url,
    token: workerKey.key,
    upstream: `${fake.url}/v1`,
    name: "soak-gpu",
    models: ["gpu"],
  });
let worker: WorkerProcess = startWorker();

const counts = { ok: 0, aborted: 0, failed: 0, statuses: new Map<number, number>() };
const started = Date.now();
const until = started + seconds * 1000;
let stopping = false;

async function one(i: number): Promise<void> {
  const kind = i % 3;
  const stream = i % 2 === 0;
  const model = kind === 1 ? "gpu" : "up";
  const path = kind === 2 ? "/v1/messages" : "/v1/chat/completions";
  const body =
    kind === 2
      ? {
          model,
          max_tokens: 64,
          stream,
          messages: [{ role: "user", content: `soak ${i} [[fake:chunks=20,chunkDelay=10]]` }],
        }
      : {
          model,
          stream,
          messages: [{ role: "user", content: `soak ${i} [[fake:chunks=20,chunkDelay=10]]` }],
        };
  const abort = new AbortController();
  const leave = stream && Math.random() < abortShare;
  try {
    const response = await fetch(`${gw.url}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
      body: JSON.stringify(body),
      signal: abort.signal,
    });
    counts.statuses.set(response.status, (counts.statuses.get(response.status) ?? 0) + 1);
    const reader = response.body?.getReader();
    let reads = 0;
    while (reader) {
      const { done } = await reader.read();
      if (done) break;
      if (leave && ++reads === 3) {
        abort.abort();
        counts.aborted++;
        return;
      }
    }
    if (response.ok) counts.ok++;
    else counts.failed++;
  } catch {
    if (!abort.signal.aborted) counts.failed++;
  }
}

async function loop(id: number): Promise<void> {
  for (let i = id; Date.now() < until && !stopping; i += loops) await one(i);
}

const fds = (pid: number) => {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return Number.NaN;
  }
};
const loopDelay = async () => {
  const t = performance.now();
  await fetch(`${gw.url}/healthz`).then((r) => r.arrayBuffer());
  return performance.now() - t;
};

interface Sample {
  at: number;
  rssMib: number;
  fds: number;
  delayMs: number;
  requests: number;
}
const samples: Sample[] = [];
async function sample(): Promise<void> {
  if (heapStatsFile) gw.proc.kill("SIGUSR2");
  const delays: number[] = [];
  for (let k = 0; k < 5; k++) delays.push(await loopDelay());
  samples.push({
    at: Math.round((Date.now() - started) / 1000),
    rssMib: ((await rssKib(gw.proc.pid)) ?? Number.NaN) / 1024,
    fds: fds(gw.proc.pid),
    delayMs: Math.max(...delays),
    requests: counts.ok + counts.failed + counts.aborted,
  });
}

let generation = 0;
const timers = [
  setInterval(() => void sample(), sampleEvery),
  setInterval(() => void gw.writeConfig(config(++generation)), reloadEvery),
  setInterval(() => {
    worker.proc.kill("SIGKILL");
    worker = startWorker();
  }, killEvery),
];
await sample();
await Promise.all(Array.from({ length: loops }, (_, id) => loop(id)));
stopping = true;
for (const timer of timers) clearInterval(timer);
await sample();

console.log(
  `\n## Soak: ${seconds} s, ${loops} loops, ${abortShare * 100}% aborts, reload every ${reloadEvery / 1000} s, worker killed every ${killEvery / 1000} s\n`,
);
console.log("| t (s) | requests | RSS (MiB) | open fds | event-loop delay (ms, max of 5 /healthz) |");
console.log("| ---: | ---: | ---: | ---: | ---: |");
for (const s of samples)
  console.log(`| ${s.at} | ${s.requests} | ${s.rssMib.toFixed(1)} | ${s.fds} | ${s.delayMs.toFixed(1)} |`);
console.log(
  `\nok ${counts.ok}, aborted ${counts.aborted}, failed ${counts.failed}; statuses ${JSON.stringify(Object.fromEntries(counts.statuses))}; reloads ${generation}`,
);
const first = samples[1] ?? samples[0];
const last = samples.at(-1);
if (first && last)
  console.log(
    `RSS ${first.rssMib.toFixed(1)} → ${last.rssMib.toFixed(1)} MiB, fds ${first.fds} → ${last.fds} (after warm-up → end)`,
  );
await worker.stop("SIGKILL");
console.log(`gateway exit on SIGTERM: ${await gw.stop("SIGTERM", 30_000)}`);
await fake.stop();
