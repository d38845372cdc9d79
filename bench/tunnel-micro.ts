/**
 * The gateway's side of a tunnelled call alone, against the direct call it replaces: in this
 * process, N upstream calls at concurrency C, each answer read whole, either through a worker
 * tunnel (`WorkerTunnel.open`, a real `mindgw worker` of this checkout dialled in, the burst
 * upstream behind it) or with the upstream `fetch` the gateway uses for a direct route (native
 * `fetch` at this concurrency); CPU µs a call of this process (the gateway's share) and of the
 * worker process, per round. No HTTP server in front: what is left is the tunnel against `fetch`.
 *   bun bench/tunnel-micro.ts [--calls 20000] [--rounds 3] [--concurrency 32] [--scenario non-stream|stream]
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createUpstreamFetch } from "../src/providers/http/upstream-fetch.ts";
import { startGateway, waitFor } from "../src/workers/testing/tunnel-harness.ts";
import { cpuSeconds } from "./cpu-time.ts";
import { spawnService } from "./service.ts";

const { values } = parseArgs({
  options: {
    calls: { type: "string", default: "20000" },
    rounds: { type: "string", default: "3" },
    concurrency: { type: "string", default: "32" },
    scenario: { type: "string", default: "non-stream" },
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
const gateway = startGateway({ heartbeatMs: 5_000 });
const worker = spawnService([
  "bun",
  join(ROOT, "src/main.ts"),
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
const upstreamFetch = createUpstreamFetch({ inFlight: () => concurrency });

async function viaTunnel(): Promise<number> {
  const tunnel = gateway.registry.pick(MODEL);
  if (!tunnel) throw new Error("no worker");
  const response = await tunnel.open({
    path: "/chat/completions",
    body,
    bodyText,
    stream,
    requestId: "bench",
    signal: new AbortController().signal,
  });
  return (await response.bytes()).byteLength;
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

try {
  await waitFor(() => gateway.registry.pick(MODEL) !== undefined, "the worker to register", 15_000);
  await run(viaTunnel, 2_000);
  await run(viaFetch, 2_000);
  for (let round = 1; round <= Number(values.rounds); round++) {
    for (const [name, call] of [
      ["tunnel", viaTunnel],
      ["fetch", viaFetch],
    ] as const) {
      const [self, other] = [process.cpuUsage(), await cpuSeconds(worker.pid)];
      await run(call, calls);
      const used = process.cpuUsage(self);
      const workerUs = ((await cpuSeconds(worker.pid)) - other) * 1e6;
      const gatewayUs = (used.user + used.system) / calls;
      const extra = name === "tunnel" ? `, worker ${(workerUs / calls).toFixed(1)}` : "";
      console.log(
        `${values.scenario} round ${round} ${name}: gateway ${gatewayUs.toFixed(1)} µs a call${extra}`,
      );
    }
  }
} finally {
  await worker.stop();
  await gateway.stop();
  await upstream.stop();
}
