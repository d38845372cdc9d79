/**
 * The gateway's side of a tunnelled call alone, against the direct call it replaces: in this
 * process, N upstream calls at concurrency C, each answer read whole, either through a worker
 * tunnel (`WorkerTunnel.open`, a real `mindgw worker` of this checkout dialled in, the burst
 * upstream behind it) or with the upstream `fetch` the gateway uses for a direct route (native
 * `fetch` at this concurrency); CPU µs a call of this process (the gateway's share) and of the
 * worker process, per round. No HTTP server in front: what is left is the tunnel against `fetch`.
 * `--against DIR` also runs another checkout's tunnel (its gateway harness loaded into this
 * process, its own `mindgw worker`, the same upstream), alternating rounds with this one's, so
 * that two builds of the tunnel compare side by side under the same load. Each checkout's
 * request is made by its own workers provider's `tunnelRequest`, and a stream is read as the
 * byte relay reads a native one (its feed where the checkout's tunnel has `openFeed`). The
 * checkout the script runs from reads 3–4 % cheaper than the same code `--against` it (session
 * 10: 0.949–0.982 against itself): to judge a change of a few per cent, run it from both checkouts
 * and take both orders' ratios. Page faults a call of each process are printed too: a count, so
 * steadier than CPU under load. `--counts` also prints, from `perf stat` (bench/thread-counts.ts),
 * the system calls, context switches and wake-ups of other threads a call of each process's event
 * loop (the gateway's is this process's main thread): counts, which the load does not move, of
 * the sends and receives a call costs each side of the tunnel.
 *   bun bench/tunnel-micro.ts [--calls 20000] [--rounds 3] [--concurrency 32] [--scenario non-stream|stream]
 *     [--against OTHER_CHECKOUT] [--counts]
 */
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { createUpstreamFetch } from "../src/providers/http/upstream-fetch.ts";
import { waitFor } from "../src/workers/testing/tunnel-harness.ts";
import { cpuSeconds } from "./cpu-time.ts";
import { spawnService } from "./service.ts";
import { countThreads, type ThreadCounts } from "./thread-counts.ts";

const { values } = parseArgs({
  options: {
    calls: { type: "string", default: "20000" },
    rounds: { type: "string", default: "3" },
    concurrency: { type: "string", default: "32" },
    scenario: { type: "string", default: "non-stream" },
    against: { type: "string" },
    counts: { type: "boolean", default: false },
  },
});
const calls = Number(values.calls);
const concurrency = Number(values.concurrency);
const stream = values.scenario === "stream";
const ROOT = join(import.meta.dir, "..");
const MODEL = "llama-bench";
const body = { model: MODEL, messages: [{ role: "user", content: "hello there" }], stream };
const bodyText = JSON.stringify(body);

const upstream = spawnService(["bun", join(ROOT, "bench/burst-upstream.ts")]);
const upstreamUrl = `http://127.0.0.1:${await upstream.portLine()}/v1`;
const bodyBytes = new TextEncoder().encode(bodyText);
type Harness = typeof import("../src/workers/testing/tunnel-harness.ts");
type WorkerProvider = typeof import("../src/workers/gateway/worker-provider.ts");

/**
 * A checkout's gateway side (its harness, in this process) with its own worker dialled in, and
 * its own way of making the tunnel's request from a call (as its workers provider does, a call).
 */
async function tunnelOf(root: string) {
  const harness = (await import(join(root, "src/workers/testing/tunnel-harness.ts"))) as Harness;
  const { tunnelRequest } = (await import(
    join(root, "src/workers/gateway/worker-provider.ts")
  )) as WorkerProvider;
  const gateway = harness.startGateway({ heartbeatMs: 5_000 });
  const worker = spawnService([
    "bun",
    join(root, "src/main.ts"),
    "worker",
    "--connect",
    `http://127.0.0.1:${gateway.port}`,
    "--token",
    "worker-key",
    "--upstream",
    upstreamUrl,
    "--models",
    MODEL,
    "--concurrency",
    "1024",
    "--no-responses-api",
  ]);
  return { root, gateway, worker, tunnelRequest };
}
type Tunnel = Awaited<ReturnType<typeof tunnelOf>>;

const tunnels = [await tunnelOf(ROOT), ...(values.against ? [await tunnelOf(resolve(values.against))] : [])];
const upstreamFetch = createUpstreamFetch({ inFlight: () => concurrency });

async function viaTunnel({ gateway, tunnelRequest }: Tunnel): Promise<number> {
  const tunnel = gateway.registry.pick(MODEL, "default");
  if (!tunnel) throw new Error("no worker");
  const call = {
    operation: "chat" as const,
    body,
    stream,
    requestId: "bench",
    signal: new AbortController().signal,
    timeouts: { connectMs: 5_000, firstByteMs: 5_000, idleMs: 5_000 },
    native: { bytes: bodyBytes, headers: {}, query: "" },
  };
  const request = tunnelRequest(call, "/chat/completions");
  if (!stream) return (await (await tunnel.open(request)).bytes()).byteLength;
  // A stream as the byte relay reads a native one: the feed where the checkout has one, else the
  // Response body's reader, all it holds a read.
  const older = tunnel as Partial<Pick<typeof tunnel, "openFeed">> & Pick<typeof tunnel, "open">;
  const answer = older.openFeed ? await older.openFeed(request) : await older.open(request);
  const feed = answer instanceof Response ? answer.body?.getReader() : answer.body;
  let bytes = 0;
  // Counted piece by piece: a ReadableStream reader's `size` is not in bytes.
  for (let read = await feed?.readMany(); read && !read.done; read = await feed?.readMany())
    for (const piece of read.value) bytes += piece.byteLength;
  return bytes;
}

async function viaFetch(): Promise<number> {
  const response = await upstreamFetch(`${upstreamUrl}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-request-id": "bench" },
    body: bodyText,
    signal: new AbortController().signal,
  });
  return (await response.bytes()).byteLength;
}

async function run(call: () => Promise<number>, n: number): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next++ < n) if ((await call()) === 0) throw new Error("empty answer");
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
}

/**
 * Minor page faults of a process so far (/proc/<pid>/stat's minflt): a count, not a timing, so it
 * holds under load. A fault a call means fresh memory touched a call (a large buffer allocated and
 * given back), which the kernel pays for in zeroed pages.
 */
async function minorFaults(pid: number): Promise<number> {
  const stat = await Bun.file(`/proc/${pid}/stat`).text();
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[7]);
}

/** A loop's system calls, context switches and wake-ups made, a call. */
const countsOf = (c: ThreadCounts) =>
  `${(c.syscalls / calls).toFixed(2)} syscalls, ${(c.switches / calls).toFixed(2)} switches, ${(c.wakes / calls).toFixed(2)} wakes`;

const named = (t: Tunnel) => (t.root === ROOT ? "tunnel" : `tunnel ${t.root}`);

try {
  for (const t of tunnels)
    await waitFor(
      "the worker to register",
      () => t.gateway.registry.pick(MODEL, "default") !== undefined,
      15_000,
    );
  for (const t of tunnels) await run(() => viaTunnel(t), 2_000);
  await run(viaFetch, 2_000);
  for (let round = 1; round <= Number(values.rounds); round++) {
    // A B, then B A: the machine's drift hits both alike.
    const order = round % 2 === 1 ? tunnels : [...tunnels].reverse();
    const runs = [
      ...order.map((t) => [named(t), () => viaTunnel(t), t] as const),
      ["fetch", viaFetch, undefined] as const,
    ];
    for (const [name, call, t] of runs) {
      const [self, other] = [process.cpuUsage(), t ? await cpuSeconds(t.worker.pid) : 0];
      const faults = [process.resourceUsage().minorPageFault, t ? await minorFaults(t.worker.pid) : 0];
      const counting =
        values.counts && t ? [await countThreads(process.pid), await countThreads(t.worker.pid)] : [];
      await run(call, calls);
      const used = process.cpuUsage(self);
      const [gatewayLoop, workerLoop] = await Promise.all(
        counting.map(async (c) => (await c.stop())["(main)"]),
      );
      const workerUs = t ? ((await cpuSeconds(t.worker.pid)) - other) * 1e6 : 0;
      const gatewayUs = (used.user + used.system) / calls;
      const perCall = (now: number, then = 0) => ((now - then) / calls).toFixed(2);
      const gatewayFaults = perCall(process.resourceUsage().minorPageFault, faults[0]);
      const workerFaults = t ? perCall(await minorFaults(t.worker.pid), faults[1]) : "";
      const extra = t ? `, worker ${(workerUs / calls).toFixed(1)}` : "";
      const faulted = t ? `; page faults a call ${gatewayFaults} + ${workerFaults}` : "";
      const counted =
        gatewayLoop && workerLoop
          ? `; event loop a call ${countsOf(gatewayLoop)} + ${countsOf(workerLoop)}`
          : "";
      console.log(
        `${values.scenario} round ${round} ${name}: gateway ${gatewayUs.toFixed(1)} µs a call${extra}${faulted}${counted}`,
      );
    }
  }
} finally {
  for (const t of tunnels) {
    await t.worker.stop();
    await t.gateway.stop();
  }
  await upstream.stop();
}
