/**
 * What tracing itself costs per request, without the rest of the gateway: the request
 * telemetry a request makes (server span, one attempt span with its `traceparent`, the
 * finished record's attributes) driven in a loop through the real pipeline (sdk-node, the
 * batch span processor, the export thread and its OTLP exporter) to `bench/otlp-sink.ts` (nginx; `OTLP_SINK=bun` for a Bun server).
 * Reports CPU µs per request of the main thread (what the event loop pays) and of the export
 * thread, from /proc; JIT warm-up is run first. Steadier than a whole-gateway run on a loaded
 * machine, since nothing else is in the loop.
 *   bun bench/trace-micro.ts on|off [requests]   (default 20000; OTEL_TRACES_SAMPLER etc. apply)
 * `off` runs the same loop without a tracer: subtract it. Prints one line:
 * `<mode> main-thread <µs> export-thread <µs> dropped <spans> sampled <requests> sink <µs>`;
 * `sink` is the collector stand-in's own CPU per request (a separate process: not tracing's
 * cost to the gateway, but what the machine pays for it when both share its cores).
 * `TRACE_MICRO_RATE=20` paces the loop at up to 20 requests a millisecond (~17,000 a second here with
 * the sleeps' overshoot: a 512-span batch every ~15 ms, near a c=32 gateway's 23–28 ms)
 * instead of 5; `OTEL_BSP_MAX_EXPORT_BATCH_SIZE` (with `OTEL_BSP_MAX_QUEUE_SIZE` above it) sizes the batches.
 * `TRACE_MICRO_WARMUP` sets the requests run first, unmeasured (10,000, or the run's count when
 * smaller): the JIT is still compiling the export thread's code after 10,000 (its helper threads
 * 3.4 µs a request in the window, 0.55 after 200,000, the export thread ~0.4 µs a request dearer:
 * session 29); 150,000 gives steadier figures where one change is compared with another.
 * `TRACE_MICRO_THREADS=1` adds a line of CPU µs per request by thread name (the JIT, the
 * allocator's scavenger, Bun's HTTP client thread that `fetch` hands the export to, …).
 */
import { readdirSync, readFileSync } from "node:fs";
import type { Logger } from "../src/log/logger.ts";
import { requestTraces } from "../src/telemetry/tracing/request-trace.ts";
import { startTracing } from "../src/telemetry/tracing/start-tracing.ts";
import { startOtlpSink } from "./otlp-sink.ts";
import { tracedRequest } from "./traced-request.ts";

const mode = process.argv[2] === "off" ? "off" : "on";
const total = Number(process.argv[3] ?? "20000");
// Checked before the sink starts: a throw after it would leave nginx running.
const warmup = Number(process.env.TRACE_MICRO_WARMUP ?? Math.min(10_000, total));
if (!Number.isInteger(warmup) || warmup < 0)
  throw new Error("TRACE_MICRO_WARMUP: a whole number of requests");
const sink = await startOtlpSink();
if (mode === "on") process.env.OTEL_EXPORTER_OTLP_ENDPOINT = sink.url;
else delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
let dropped = 0;
const quiet = () => {};
const logger: Logger = {
  debug: quiet,
  info: quiet,
  error: quiet,
  // "spans dropped" lines carry the running total.
  warn: (_message, fields) => {
    if (typeof fields?.total === "number") dropped = fields.total;
  },
};
const tracing = await startTracing("trace-micro", logger);
if (mode === "on" && !tracing) throw new Error("tracing did not start");
const deps = { metrics: undefined, traces: tracing ? requestTraces(tracing.tracer, undefined) : undefined };

/** Requests whose upstream call got a `traceparent` of their own (the sampled ones). */
let sampled = 0;

function request(i: number): void {
  if (tracedRequest(i, deps)) sampled++;
}

/**
 * CPU seconds per thread of this process, by thread id and name: schedstat's run time in ns
 * (stat's 10 ms ticks were 0.17 µs a request over 60,000 requests, coarser than what a change
 * to the export thread moves), stat's ticks where there is no schedstat.
 */
function threadSeconds(): Map<string, number> {
  const seconds = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${process.pid}/task`)) {
    const task = `/proc/${process.pid}/task/${tid}`;
    const stat = readFileSync(`${task}/stat`, "utf8");
    const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    const ns = Number(readSchedstat(task).split(" ")[0]);
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = (Number(fields[11]) + Number(fields[12])) / 100;
    seconds.set(`${tid} ${name}`, Number.isFinite(ns) && ns > 0 ? ns / 1e9 : ticks);
  }
  return seconds;
}

function readSchedstat(task: string): string {
  try {
    return readFileSync(`${task}/schedstat`, "utf8");
  } catch {
    return "";
  }
}

/**
 * Paced (at most RATE requests a millisecond: 5, a busy gateway's rate, unless
 * `TRACE_MICRO_RATE` says otherwise; a c=32 gateway here serves 9–11 a millisecond) and yielding to the
 * event loop between slices as a serving gateway would; the pacing's own cost is what `off` measures.
 */
const RATE = Math.max(1, Number(process.env.TRACE_MICRO_RATE ?? 5) | 0);
async function requests(count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    request(i);
    if (i % RATE === RATE - 1) await Bun.sleep(1);
  }
}

/** The sink process's CPU seconds (user + system). */
function sinkSeconds(): number {
  const stat = readFileSync(`/proc/${sink.pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function run(count: number) {
  const before = threadSeconds();
  const sinkBefore = sinkSeconds();
  await requests(count);
  await tracing?.shutdown();
  const after = threadSeconds();
  const sinkUsed = sinkSeconds() - sinkBefore;
  const used = (key: string) => ((after.get(key) ?? 0) - (before.get(key) ?? 0)) * 1e6;
  const main = [...after.keys()].find((key) => key.startsWith(`${process.pid} `)) ?? "";
  // The export thread by its name (thread-span-processor.ts names it; it was " Worker" before session 20).
  const workers = [...after.keys()].filter((key) => key.endsWith(" mindgw-export"));
  const byName = new Map<string, number>();
  for (const key of after.keys()) {
    const name = key.slice(key.indexOf(" ") + 1);
    byName.set(name, (byName.get(name) ?? 0) + used(key) / count);
  }
  return {
    byName,
    main: used(main) / count,
    thread: workers.reduce((sum, key) => sum + used(key), 0) / count,
    sink: (sinkUsed * 1e6) / count,
  };
}

// Warm-up (JIT) on the same pipeline.
await requests(warmup);
const result = await run(total);
await sink.stop();
console.log(
  `${mode} main-thread ${result.main.toFixed(2)} export-thread ${result.thread.toFixed(2)} dropped ${dropped} sampled ${sampled} sink ${result.sink.toFixed(1)}`,
);
if (process.env.TRACE_MICRO_THREADS === "1")
  console.log(
    [...result.byName]
      .filter(([, us]) => us > 0)
      .map(([name, us]) => `${name} ${us.toFixed(2)}`)
      .join(", "),
  );
process.exit(0);
