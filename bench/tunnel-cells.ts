/**
 * The JS cells a tunnelled call leaves, by type, on both sides of the tunnel at once: in this
 * process, a checkout's gateway side (its test harness: the worker endpoint, registry and
 * tunnel) with its own `WorkerSession` dialled in over a real WebSocket, and the burst upstream
 * in a process of its own. Calls go as the workers provider makes them (`tunnelRequest`, then
 * `openWhole`, or `openFeed` read to its end with `--stream`), `--concurrency` at a time, in
 * batches; a batch's cells are what it left on the heap (JavaScriptCore's counts by type, after a
 * full collection before it), so only batches no collection cut into count (those within 30 %
 * of the largest). Counts, not timings: they hold on a loaded machine, where the worker
 * process's CPU a request (bench/tunnel-micro.ts, bench/cpu-per-request.ts --worker) does not.
 * `--against DIR` runs another checkout's gateway and worker side the same way, batches
 * alternating, and prints both side by side. The process's CPU µs a call is printed too, for
 * what it is worth under load.
 * `--chunked` or `--paced` start the burst upstream so (bench/burst-upstream.ts): a stream written at
 * once but chunked, one chunk an event, with no declared length (as the test fake's streams come,
 * and as bench/ab.ts's stream scenario reaches the worker), or one event a write, a turn apart (a
 * model server pacing its tokens): the tunnel's general path, head, chunks and end, not the
 * whole answer's one frame.
 *   bun bench/tunnel-cells.ts [--batches 8] [--batch 400] [--concurrency 8] [--stream] [--chunked | --paced]
 *     [--against OTHER_CHECKOUT]
 */
import { heapStats } from "bun:jsc";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { spawnService } from "./service.ts";
import { median } from "./stats.ts";

const { values } = parseArgs({
  options: {
    batches: { type: "string", default: "8" },
    batch: { type: "string", default: "400" },
    concurrency: { type: "string", default: "8" },
    stream: { type: "boolean", default: false },
    chunked: { type: "boolean", default: false },
    paced: { type: "boolean", default: false },
    against: { type: "string" },
  },
});
const batchSize = Number(values.batch);
const concurrency = Number(values.concurrency);
const stream = values.stream;
const ROOT = join(import.meta.dir, "..");
const MODEL = "llama-bench";
const clientBytes = new TextEncoder().encode(
  JSON.stringify({ model: MODEL, messages: [{ role: "user", content: "hello there" }], stream }),
);

type Harness = typeof import("../src/workers/testing/tunnel-harness.ts");
type WorkerProvider = typeof import("../src/workers/gateway/worker-provider.ts");
type Session = typeof import("../src/workers/worker/worker-session.ts");

const upstreamShape = values.chunked ? ["--chunked"] : values.paced ? ["--paced"] : [];
const upstream = spawnService(["bun", join(ROOT, "bench/burst-upstream.ts"), ...upstreamShape]);
const upstreamUrl = `http://127.0.0.1:${await upstream.portLine()}/v1`;

/** A checkout's two sides of the tunnel in this process, and one step of calls through them. */
async function sidesOf(root: string) {
  const harness = (await import(join(root, "src/workers/testing/tunnel-harness.ts"))) as Harness;
  const { tunnelRequest } = (await import(
    join(root, "src/workers/gateway/worker-provider.ts")
  )) as WorkerProvider;
  const { WorkerSession } = (await import(join(root, "src/workers/worker/worker-session.ts"))) as Session;
  const gateway = harness.startGateway({ heartbeatMs: 5_000 });
  const session = new WorkerSession({
    url: new URL(`ws://127.0.0.1:${gateway.port}/workers/connect`),
    token: "worker-key",
    upstream: upstreamUrl,
    name: "bench-worker",
    version: "0",
    models: [MODEL],
    concurrency: 1024,
    labels: {},
    log: () => {},
  });
  await harness.waitFor(
    "the worker to register",
    () => gateway.registry.pick(MODEL, "default") !== undefined,
    15_000,
  );
  const tunnel = gateway.registry.pick(MODEL, "default");
  if (!tunnel) throw new Error("no worker");
  const call = async (): Promise<number> => {
    const request = tunnelRequest(
      {
        operation: "chat",
        body: { model: MODEL },
        stream,
        requestId: "req_bench",
        signal: new AbortController().signal,
        timeouts: { connectMs: 5_000, firstByteMs: 5_000, idleMs: 5_000 },
        native: { bytes: clientBytes, headers: {}, query: "" },
      },
      "/chat/completions",
    );
    if (!stream) {
      const answer = await tunnel.openWhole(request);
      return answer instanceof Response ? (await answer.bytes()).byteLength : answer.body.byteLength;
    }
    const answer = await tunnel.openFeed(request);
    const feed = answer instanceof Response ? answer.body?.getReader() : answer.body;
    let bytes = 0;
    for (let read = await feed?.readMany(); read && !read.done; read = await feed?.readMany())
      for (const piece of read.value) bytes += piece.byteLength;
    return bytes;
  };
  const step = async () => {
    const calls: Promise<number>[] = [];
    for (let i = 0; i < concurrency; i++) calls.push(call());
    for (const bytes of await Promise.all(calls)) if (bytes === 0) throw new Error("empty answer");
  };
  return {
    root,
    step,
    stop: async () => {
      session.close();
      await gateway.stop();
    },
  };
}
type Sides = Awaited<ReturnType<typeof sidesOf>>;

interface Batch {
  cells: Record<string, number>;
  total: number;
  cpu: number;
}

/** One batch: the cells it left a call, by type, and the process's CPU µs a call. */
async function batchOf(sides: Sides): Promise<Batch> {
  Bun.gc(true);
  const before = heapStats().objectTypeCounts;
  const started = process.cpuUsage();
  for (let i = 0; i < batchSize / concurrency; i++) await sides.step();
  const used = process.cpuUsage(started);
  const after = heapStats().objectTypeCounts;
  const cells: Record<string, number> = {};
  let total = 0;
  for (const [type, count] of Object.entries(after)) {
    const made = (count - (before[type] ?? 0)) / batchSize;
    cells[type] = made;
    total += made;
  }
  return { cells, total, cpu: (used.user + used.system) / batchSize };
}

/** Cells a call by type: each type's median over the batches no collection cut into. */
function summary(batches: readonly Batch[]) {
  const most = Math.max(...batches.map((b) => b.total));
  const whole = batches.filter((b) => b.total >= 0.7 * most);
  const types = new Set(whole.flatMap((b) => Object.keys(b.cells)));
  const cells = Object.fromEntries([...types].map((t) => [t, median(whole.map((b) => b.cells[t] ?? 0))]));
  return {
    cells,
    total: median(whole.map((b) => b.total)),
    uncut: whole.length,
    cpu: median(batches.map((b) => b.cpu)),
  };
}

const all = [await sidesOf(ROOT), ...(values.against ? [await sidesOf(resolve(values.against))] : [])];
const batches: Batch[][] = all.map(() => []);
try {
  // Two batches each first, not counted: the JIT settles.
  for (let round = 0; round < Number(values.batches) + 2; round++) {
    const order = round % 2 === 0 ? all.keys() : [...all.keys()].reverse();
    for (const i of order) {
      const batch = await batchOf(all[i] as Sides);
      if (round >= 2) batches[i]?.push(batch);
    }
  }
  const results = batches.map(summary);
  const scenario = stream ? "stream" : "non-stream";
  for (const [i, result] of results.entries())
    console.log(
      `${scenario} ${all[i]?.root}: ${result.total.toFixed(1)} cells a call (${result.uncut} uncut batches), CPU ${result.cpu.toFixed(1)} µs a call`,
    );
  const types = [...new Set(results.flatMap((r) => Object.keys(r.cells)))].sort();
  for (const type of types) {
    const counts = results.map((r) => r.cells[type] ?? 0);
    if (Math.max(...counts.map(Math.abs)) >= 0.1)
      console.log(`  ${type.padEnd(34)} ${counts.map((c) => c.toFixed(2).padStart(7)).join(" ")}`);
  }
} finally {
  for (const sides of all) await sides.stop();
  await upstream.stop();
}
