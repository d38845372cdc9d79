/**
 * Bytes the gateway allocates on its JS heap per request, measured in process and repeatable
 * under any load (a count, not a time): the gateway from source (`createGateway`, auth + limits
 * + SQLite audit + metrics + the text access line, as the binary runs) in front of the burst
 * upstream, requests sent one at a time by `fetch` in the same process. Allocation is read as
 * the growth of JavaScriptCore's heap capacity over a batch small enough that no collection runs
 * inside it, minus what the same requests cost when sent straight to the upstream (the client's
 * share). A collection that runs inside a batch shows as a much smaller growth, so the figure is
 * the median of the batches within 30 % of the largest. Also the process's CPU time per request
 * over the same batches, less the client's (requests one at a time, so the figure does not
 * depend on how many requests each wake-up of a loaded machine finds).
 *   bun bench/alloc-per-request.ts [--batches 20] [--batch 200] [--stream]
 * Starts its own burst upstream. Complements bench/gc-per-request.sh (the binary under wrk,
 * collections counted from BUN_JSC_logGC), which is slower and noisier on a loaded machine.
 */
import { heapStats } from "bun:jsc";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createKeyAdmin } from "../src/auth/key-admin.ts";
import { parseConfig } from "../src/config/load-config.ts";
import { createGateway } from "../src/gateway/create-gateway.ts";
import { createLogger } from "../src/log/logger.ts";
import { openSqliteStorage } from "../src/storage/sqlite/sqlite-storage.ts";
import { spawnService } from "./service.ts";

const { values } = parseArgs({
  options: {
    batches: { type: "string", default: "20" },
    batch: { type: "string", default: "200" },
    stream: { type: "boolean", default: false },
  },
});
const batches = Number(values.batches);
const batchSize = Number(values.batch);

const upstream = spawnService(["bun", join(import.meta.dir, "burst-upstream.ts")]);
const upstreamPort = await upstream.portLine();
const dir = await mkdtemp(join(tmpdir(), "mindgw-alloc-"));
const config = parseConfig({
  server: { host: "127.0.0.1", port: 0 },
  storage: { driver: "sqlite", path: join(dir, "mindgw.db") },
  auth: { bootstrap_admin: false },
  providers: [{ name: "fake", type: "openai", base_url: `http://127.0.0.1:${upstreamPort}/v1` }],
  models: [{ name: "bench-model", routes: [{ provider: "fake", model: "bench-model" }] }],
});
const storage = openSqliteStorage(config.storage.path);
const issued = await createKeyAdmin({ store: storage.keys }).create("local-operator", {
  name: "bench",
  models: ["*"],
  rpm: 1_000_000_000,
  tpm: 1_000_000_000_000,
});
// The access line is built as in service; where it goes does not matter here.
const logger = createLogger({ write: () => {} });
const gateway = await createGateway({ config, storage, logger });
const address = gateway.listen("127.0.0.1", 0);

const body = JSON.stringify({
  model: "bench-model",
  stream: values.stream,
  ...(values.stream ? { stream_options: { include_usage: true } } : {}),
  messages: [{ role: "user", content: "hi" }],
});
const send = (url: string, headers: Record<string, string>) => async () => {
  const response = await fetch(url, { method: "POST", headers, body });
  await response.arrayBuffer();
  if (!response.ok) throw new Error(`${url}: ${response.status}`);
};
const json = { "content-type": "application/json" };
const throughGateway = send(`http://127.0.0.1:${address.port}/v1/chat/completions`, {
  ...json,
  authorization: `Bearer ${issued.key}`,
});
const direct = send(`http://127.0.0.1:${upstreamPort}/v1/chat/completions`, json);

/** Per batch: bytes per request of `run` (the heap's capacity growth) and the process's CPU µs. */
async function perRequest(run: () => Promise<void>): Promise<{ bytes: number[]; cpu: number[] }> {
  for (let i = 0; i < 3000; i++) await run();
  const bytes: number[] = [];
  const cpu: number[] = [];
  for (let b = 0; b < batches; b++) {
    Bun.gc(true);
    const before = heapStats();
    const started = process.cpuUsage();
    for (let i = 0; i < batchSize; i++) await run();
    const used = process.cpuUsage(started);
    const after = heapStats();
    bytes.push((after.heapCapacity - before.heapCapacity) / batchSize);
    cpu.push((used.user + used.system) / batchSize);
  }
  return { bytes, cpu };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
/** The batches no collection cut into: those within 30 % of the largest growth. */
const uncut = (xs: number[]) => xs.filter((x) => x >= 0.7 * Math.max(...xs));
try {
  const clientRun = await perRequest(direct);
  const totalRun = await perRequest(throughGateway);
  const client = uncut(clientRun.bytes);
  const total = uncut(totalRun.bytes);
  const kb = (bytes: number) => (bytes / 1024).toFixed(2);
  const cpu = median(totalRun.cpu) - median(clientRun.cpu);
  console.log(
    `${values.stream ? "stream" : "non-stream"}: gateway ${kb(median(total) - median(client))} KB per request ` +
      `(through the gateway ${kb(median(total))} KB, the client alone ${kb(median(client))} KB; ` +
      `ranges ${kb(Math.min(...total))}–${kb(Math.max(...total))} and ${kb(Math.min(...client))}–${kb(Math.max(...client))}; ` +
      `${total.length} and ${client.length} uncut batches of ${batchSize} out of ${batches}); ` +
      `CPU ${cpu.toFixed(1)} µs per request (process, both sides: ${median(totalRun.cpu).toFixed(1)}; ` +
      `the client alone ${median(clientRun.cpu).toFixed(1)})`,
  );
} finally {
  await gateway.stop();
  await upstream.stop();
  await rm(dir, { recursive: true, force: true });
}
process.exit(0);
