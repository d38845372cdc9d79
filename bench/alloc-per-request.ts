/**
 * Bytes the gateway allocates on its JS heap, and the CPU it spends, per request, measured in
 * process: the gateway from source (`createGateway`, auth + limits + SQLite audit + metrics +
 * the text access line, as the binary runs) in front of the burst upstream, requests sent one at
 * a time by `fetch` in the same process. Allocation is read as the growth of JavaScriptCore's
 * heap capacity over a batch small enough that no collection runs inside it, minus what the same
 * requests cost when sent straight to the upstream (the client's share); a collection that runs
 * inside a batch shows as a much smaller growth, so the figure is the median of the batches
 * within 30 % of the largest. CPU is the process's user + system time over the same batches,
 * less the client's; each further gateway's paired difference is given for the event loop alone
 * too (this thread's CPU clock), which the client's HTTP thread and the JIT do not blur.
 *   bun bench/alloc-per-request.ts [--batches 20] [--batch 200] [--stream] [--paced] [--chunked] [--against OTHER_CHECKOUT] [--metrics-off] [--traced] [--sampler NAME] [--objects] [--stderr-log]
 * `--paced` has the burst upstream write a stream one event a write (`bench/burst-upstream.ts
 * --paced`): the relay's general path, read by read, where the default is the whole answer's.
 * `--chunked` has it write the stream at once but chunked, one chunk an event (`bench/burst-upstream.ts
 * --chunked`): one read of many chunks, as the test fake's streams (`bench/ab.ts`) arrive.
 * `--against DIR` builds a second gateway from another checkout's `src/` (say, main's) in the
 * same process and alternates batches between the two, so the machine's load hits both alike
 * within milliseconds: the way to judge a change of a few per cent on a loaded machine.
 * `--metrics-off` adds this checkout's gateway once more with `metrics: { enabled: false }`
 * (issue 13: what metrics cost a request, everything else equal). `--traced` adds it once more
 * with every request traced (`startTracing` as `mindgw serve` starts it, `traceidratio` 1.0,
 * exporting over OTLP/HTTP to `bench/otlp-sink.ts`): what a traced request costs the whole
 * gateway's event loop, cell by cell, beside what `bench/trace-loop.ts` says the spans alone
 * cost. Its CPU is the process's, the export thread's included. `--sampler NAME` sets that
 * gateway's `OTEL_TRACES_SAMPLER` instead (say `always_off`: a tracer configured that samples
 * nothing, the benches' `mindgw-always-off`).
 * Each gateway's line also gives the JS cells it leaves per request, by count (heap cells made in
 * the batch and not yet collected, less the client's; from the batches no collection cut into),
 * and closures, scopes and promises among them: counts are exact where bytes and time are not,
 * so a cut of one closure shows on a loaded machine. `--objects` lists every cell type that
 * differs between the gateways (or the first's, alone), per request.
 * Requests go one at a time, so with the default upstream client (`auto`) every gateway here
 * takes the lean client after a few calls; `MINDGW_UPSTREAM_CLIENT=fetch` in this process's
 * environment counts the path a c=32 non-stream request takes (Bun's `fetch`) in every gateway
 * alike; a stream's is the lean client's byte feed at any load by default (session 10).
 * Starts its own burst upstream. Complements bench/gc-per-request.sh (the binary under wrk,
 * collections counted from BUN_JSC_logGC).
 */
import { heapStats } from "bun:jsc";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import type { Tracing } from "../src/telemetry/tracing/start-tracing.ts";
import { threadCpuNs } from "./cpu-time.ts";
import { meanInterval } from "./interval.ts";
import { startOtlpSink } from "./otlp-sink.ts";
import { spawnService } from "./service.ts";

const { values } = parseArgs({
  options: {
    batches: { type: "string", default: "20" },
    batch: { type: "string", default: "200" },
    stream: { type: "boolean", default: false },
    against: { type: "string" },
    "metrics-off": { type: "boolean", default: false },
    traced: { type: "boolean", default: false },
    sampler: { type: "string", default: "traceidratio" },
    objects: { type: "boolean", default: false },
    paced: { type: "boolean", default: false },
    chunked: { type: "boolean", default: false },
    "stderr-log": { type: "boolean", default: false },
  },
});
const batches = Number(values.batches);
const batchSize = Number(values.batch);

const upstream = spawnService([
  "bun",
  join(import.meta.dir, "burst-upstream.ts"),
  ...(values.paced ? ["--paced"] : []),
  ...(values.chunked ? ["--chunked"] : []),
]);
const upstreamPort = await upstream.portLine();
const body = JSON.stringify({
  model: "bench-model",
  stream: values.stream,
  ...(values.stream ? { stream_options: { include_usage: true } } : {}),
  messages: [{ role: "user", content: "hi" }],
});

type Run = () => Promise<void>;
const send =
  (url: string, headers: Record<string, string>): Run =>
  async () => {
    const response = await fetch(url, { method: "POST", headers, body });
    await response.arrayBuffer();
    if (!response.ok) throw new Error(`${url}: ${response.status}`);
  };
const json = { "content-type": "application/json" };

interface Target {
  readonly name: string;
  readonly run: Run;
  stop(): Promise<void>;
}

/** A gateway built from `root`'s sources (this checkout, or another one's) in this process. */
async function gatewayFrom(root: string, name: string, metrics = true, tracing?: Tracing): Promise<Target> {
  const src = (path: string) => import(join(root, "src", path));
  const { createKeyAdmin } = await src("auth/key-admin.ts");
  const { parseConfig } = await src("config/load-config.ts");
  const { createGateway } = await src("gateway/create-gateway.ts");
  const { createLogger } = await src("log/logger.ts");
  const { openSqliteStorage } = await src("storage/sqlite/sqlite-storage.ts");
  const dir = await mkdtemp(join(tmpdir(), "mindgw-alloc-"));
  const config = parseConfig({
    server: { host: "127.0.0.1", port: 0 },
    storage: { driver: "sqlite", path: join(dir, "mindgw.db") },
    auth: { bootstrap_admin: false },
    providers: [{ name: "fake", type: "openai", base_url: `http://127.0.0.1:${upstreamPort}/v1` }],
    models: [{ name: "bench-model", routes: [{ provider: "fake", model: "bench-model" }] }],
    ...(metrics ? {} : { metrics: { enabled: false } }),
  });
  const storage = openSqliteStorage(config.storage.path);
  const issued = await createKeyAdmin({ store: storage.keys }).create("local-operator", {
    name: "bench",
    models: ["*"],
    rpm: 1_000_000_000,
    tpm: 1_000_000_000_000,
  });
  // The access line is made here as a caller's own `write` takes it: formatted as it is logged,
  // where the service formats a batch's lines together when it writes them (session 16's s21-log:
  // one string a request fewer in service than counted here). `--stderr-log`: the built-in stderr
  // logger, as `mindgw serve` has it (from session 17 a served request's line is then the audit
  // thread's to write): run with 2>/dev/null.
  const logger = values["stderr-log"] ? createLogger({}) : createLogger({ write: () => {} });
  const gateway = await createGateway({ config, storage, logger, ...(tracing ? { tracing } : {}) });
  const address = gateway.listen("127.0.0.1", 0);
  return {
    name,
    run: send(`http://127.0.0.1:${address.port}/v1/chat/completions`, {
      ...json,
      authorization: `Bearer ${issued.key}`,
    }),
    async stop() {
      await gateway.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

interface Batch {
  readonly bytes: number;
  /** Memory outside the cells that JSC was told of (buffers, large strings): it counts towards collections too. */
  readonly extra: number;
  readonly cpu: number;
  /**
   * The event loop's CPU µs per request (this thread's clock, exact to the call): the paired
   * differences below are read from it too, as the process figure carries the client's HTTP
   * thread, the JIT's and the collector's helpers, and moves several times as much.
   */
  readonly mainCpu: number;
  /** Cells made per request, by type (what the batch left on the heap, nothing collected). */
  readonly cells: Record<string, number>;
}

/** One batch of `run`: bytes per request (the heap's capacity growth) and the process's CPU µs. */
async function batchOf(run: Run): Promise<Batch> {
  Bun.gc(true);
  const before = heapStats();
  const started = process.cpuUsage();
  const mainStarted = threadCpuNs();
  for (let i = 0; i < batchSize; i++) await run();
  const mainUsed = threadCpuNs() - mainStarted;
  const used = process.cpuUsage(started);
  const after = heapStats();
  const cells: Record<string, number> = {};
  for (const [type, count] of Object.entries(after.objectTypeCounts))
    cells[type] = (count - (before.objectTypeCounts[type] ?? 0)) / batchSize;
  return {
    bytes: (after.heapCapacity - before.heapCapacity) / batchSize,
    extra: (after.extraMemorySize - before.extraMemorySize) / batchSize,
    cpu: (used.user + used.system) / batchSize,
    mainCpu: mainUsed / 1000 / batchSize,
    cells,
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
/** The batches no collection cut into: those within 30 % of the largest growth. */
const uncut = (xs: number[]) => xs.filter((x) => x >= 0.7 * Math.max(...xs));
const kb = (bytes: number) => (bytes / 1024).toFixed(2);
const sum = (cells: Record<string, number>) => Object.values(cells).reduce((a, b) => a + b, 0);
/** Cells per request by type: the median over batches no collection cut into (by cell count). */
function cellsOf(list: readonly Batch[]): Record<string, number> {
  const most = Math.max(...list.map((b) => sum(b.cells)));
  const whole = list.filter((b) => sum(b.cells) >= 0.7 * most);
  const types = new Set(whole.flatMap((b) => Object.keys(b.cells)));
  return Object.fromEntries([...types].map((type) => [type, median(whole.map((b) => b.cells[type] ?? 0))]));
}
const minus = (a: Record<string, number>, b: Record<string, number>) =>
  Object.fromEntries(Object.keys(a).map((type) => [type, (a[type] ?? 0) - (b[type] ?? 0)]));
const CLOSURES = ["Function", "JSLexicalEnvironment", "Promise", "AsyncFunctionGenerator", "Object"] as const;

/** Tracing as the benches' `mindgw-traced` runs it: every request traced, exported to `url`. */
async function tracingTo(url: string): Promise<Tracing> {
  // The sampler and the exporter read process.env, whatever environment startTracing is given.
  Object.assign(process.env, {
    OTEL_EXPORTER_OTLP_ENDPOINT: url,
    OTEL_TRACES_SAMPLER: values.sampler,
    OTEL_TRACES_SAMPLER_ARG: "1.0",
  });
  const { startTracing } = await import("../src/telemetry/tracing/start-tracing.ts");
  const quiet = () => {};
  const started = await startTracing("alloc-per-request", {
    debug: quiet,
    info: quiet,
    warn: quiet,
    error: quiet,
  });
  if (!started) throw new Error("tracing did not start");
  return started;
}

const direct: Target = {
  name: "the client alone",
  run: send(`http://127.0.0.1:${upstreamPort}/v1/chat/completions`, json),
  stop: async () => {},
};
const targets = [await gatewayFrom(join(import.meta.dir, ".."), "this checkout")];
if (values.against) targets.push(await gatewayFrom(resolve(values.against), values.against));
const here = join(import.meta.dir, "..");
if (values["metrics-off"]) targets.push(await gatewayFrom(here, "this checkout, metrics off", false));
const sink = values.traced ? await startOtlpSink() : undefined;
const tracing = sink ? await tracingTo(sink.url) : undefined;
if (tracing)
  targets.push(await gatewayFrom(here, `this checkout, traced (${values.sampler})`, true, tracing));
try {
  const all = [direct, ...targets];
  for (const target of all) for (let i = 0; i < 3000; i++) await target.run();
  const found = new Map<Target, Batch[]>(all.map((t) => [t, []]));
  for (let b = 0; b < batches; b++) {
    // Alternated, in turn order reversed every batch, so neither side always goes first.
    for (const target of b % 2 === 0 ? all : [...all].reverse())
      found.get(target)?.push(await batchOf(target.run));
  }
  const client = found.get(direct) ?? [];
  const clientBytes = median(uncut(client.map((b) => b.bytes)));
  const clientCpu = median(client.map((b) => b.cpu));
  const clientExtra = median(client.map((b) => b.extra));
  console.log(
    `${values.stream ? "stream" : "non-stream"}, ${batches} batches of ${batchSize} requests; ` +
      `the client alone: ${kb(clientBytes)} KB, ${clientCpu.toFixed(1)} µs CPU per request`,
  );
  const clientCells = cellsOf(client);
  const cellsByTarget = new Map<Target, Record<string, number>>();
  for (const target of targets) {
    const list = found.get(target) ?? [];
    const bytes = uncut(list.map((b) => b.bytes));
    const cpu = list.map((b) => b.cpu - clientCpu);
    const extra = median(list.map((b) => b.extra)) - clientExtra;
    const cells = minus(cellsOf(list), clientCells);
    cellsByTarget.set(target, cells);
    console.log(
      `${target.name}: gateway ${kb(median(bytes) - clientBytes)} KB per request ` +
        `(${kb(Math.min(...bytes) - clientBytes)}–${kb(Math.max(...bytes) - clientBytes)}, ` +
        `${bytes.length} uncut batches; outside the cells ${kb(extra)} KB); CPU ${median(cpu).toFixed(1)} µs per request ` +
        `(${Math.min(...cpu).toFixed(1)}–${Math.max(...cpu).toFixed(1)}); ` +
        `${sum(cells).toFixed(1)} cells per request (${CLOSURES.map((t) => `${t} ${(cells[t] ?? 0).toFixed(1)}`).join(", ")})`,
    );
  }
  // Each further target against this checkout, batch by batch (neighbours in time): the mean
  // difference and its 95 % interval.
  const base = found.get(targets[0] as Target) ?? [];
  for (const target of targets.slice(1)) {
    const list = found.get(target) ?? [];
    const diff = meanInterval(list.map((b, i) => b.cpu - (base[i]?.cpu ?? Number.NaN)));
    const main = meanInterval(list.map((b, i) => b.mainCpu - (base[i]?.mainCpu ?? Number.NaN)));
    console.log(
      `${target.name} − this checkout: CPU ${diff.mean.toFixed(1)} µs per request ` +
        `(95 % CI ${diff.low.toFixed(1)} to ${diff.high.toFixed(1)}, ${diff.n} paired batches); ` +
        `event loop ${main.mean.toFixed(2)} µs (95 % CI ${main.low.toFixed(2)} to ${main.high.toFixed(2)})`,
    );
  }
  if (values.objects) {
    const [first, second] = targets.map((t) => cellsByTarget.get(t) ?? {});
    const other = second ?? {};
    const types = Object.keys({ ...first, ...other })
      .map((type) => ({ type, a: first?.[type] ?? 0, b: other[type] ?? 0 }))
      .filter((row) => (second ? Math.abs(row.a - row.b) >= 0.5 : Math.abs(row.a) >= 0.5))
      .sort((x, y) => Math.abs(y.a - y.b) - Math.abs(x.a - x.b) || y.a - x.a);
    console.log(`cells per request by type: ${targets.map((t) => t.name).join(" | ")}`);
    for (const row of types)
      console.log(`  ${row.type}: ${row.a.toFixed(2)}${second ? ` | ${row.b.toFixed(2)}` : ""}`);
  }
} finally {
  for (const target of targets) await target.stop();
  await tracing?.shutdown();
  await sink?.stop();
  await upstream.stop();
}
process.exit(0);
