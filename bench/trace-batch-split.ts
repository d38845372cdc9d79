/**
 * What tracing costs once a batch and what it costs once a request, apart: `bench/trace-micro.ts
 * on` run at several export batch sizes (`OTEL_BSP_MAX_EXPORT_BATCH_SIZE`, the queue four times
 * the batch), the sizes alternated round by round, and each thread's CPU a request fitted by
 * least squares to `per request + per batch × batches a request`. A change to once-a-batch code
 * (the hand-over, the wake-up, the send's round trip) moves the second figure, a change to the
 * spans' own code the first; a single batch size mixes the two (at 512 spans, about a third of the export
 * thread is paid once a batch: docs/BENCHMARKS-HISTORY.md, session 29).
 *   bun bench/trace-batch-split.ts [--sizes 256,512,1024,2048] [--rounds 2] [--requests 60000]
 *     [--warmup 150000]
 * `TRACE_MICRO_RATE` (20 here unless set) paces the loop as in trace-micro.ts; each traced request
 * there ends two spans (server and attempt), so a batch of N spans is N ÷ 2 requests. Prints each
 * run, then for the main thread, the export thread and the collector stand-in: the median at each
 * size and the fit (µs a request, µs a batch).
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { median } from "./stats.ts";

const { values } = parseArgs({
  options: {
    sizes: { type: "string", default: "256,512,1024,2048" },
    rounds: { type: "string", default: "2" },
    requests: { type: "string", default: "60000" },
    warmup: { type: "string", default: "150000" },
  },
});
const sizes = values.sizes.split(",").map(Number);
if (new Set(sizes).size < 2 || sizes.some((size) => !Number.isInteger(size) || size < 2))
  throw new Error("--sizes: two or more different whole batch sizes, each of 2 spans or more");
const rounds = Number(values.rounds);
if (!Number.isInteger(rounds) || rounds < 1) throw new Error("--rounds: a whole number, 1 or more");
/** trace-micro.ts's traced request: a server span and one attempt span. */
const SPANS_A_REQUEST = 2;
const THREADS = ["main-thread", "export-thread", "sink"] as const;
type Thread = (typeof THREADS)[number];
type Run = Record<Thread, number> & { readonly size: number };

/** One `trace-micro.ts on` at `size` spans a batch: its figures, µs a request. */
async function run(size: number): Promise<Run> {
  const child = Bun.spawn(["bun", resolve(import.meta.dir, "trace-micro.ts"), "on", values.requests], {
    env: {
      ...process.env,
      TRACE_MICRO_RATE: process.env.TRACE_MICRO_RATE ?? "20",
      TRACE_MICRO_WARMUP: values.warmup,
      OTEL_BSP_MAX_EXPORT_BATCH_SIZE: String(size),
      OTEL_BSP_MAX_QUEUE_SIZE: String(Math.max(2048, 4 * size)),
    },
    stdout: "pipe",
    stderr: "inherit",
  });
  const [text, code] = await Promise.all([new Response(child.stdout).text(), child.exited]);
  if (code !== 0) throw new Error(`trace-micro.ts at ${size} spans a batch exited with ${code}`);
  const figure = (thread: Thread) => {
    const match = new RegExp(`${thread} ([0-9.]+)`).exec(text);
    if (!match) throw new Error(`trace-micro.ts printed no ${thread} figure: ${text}`);
    return Number(match[1]);
  };
  return {
    size,
    "main-thread": figure("main-thread"),
    "export-thread": figure("export-thread"),
    sink: figure("sink"),
  };
}

/** Least squares of y = a + b × x: `a` (µs a request) and `b` (µs a batch, x being batches a request). */
function fit(points: readonly { x: number; y: number }[]): { perRequest: number; perBatch: number } {
  const n = points.length;
  const mx = points.reduce((sum, p) => sum + p.x, 0) / n;
  const my = points.reduce((sum, p) => sum + p.y, 0) / n;
  const sxy = points.reduce((sum, p) => sum + (p.x - mx) * (p.y - my), 0);
  const sxx = points.reduce((sum, p) => sum + (p.x - mx) ** 2, 0);
  const perBatch = sxy / sxx;
  return { perRequest: my - perBatch * mx, perBatch };
}

const runs: Run[] = [];
for (let round = 0; round < rounds; round++) {
  // Alternating order: no size always runs first, or last, in a round.
  for (const size of round % 2 === 0 ? sizes : [...sizes].reverse()) {
    const result = await run(size);
    runs.push(result);
    console.log(
      `round ${round} size ${size}: ${THREADS.map((thread) => `${thread} ${result[thread].toFixed(2)}`).join(" ")}`,
    );
  }
}
for (const thread of THREADS) {
  const at = sizes.map((size) => median(runs.filter((r) => r.size === size).map((r) => r[thread])));
  const { perRequest, perBatch } = fit(runs.map((r) => ({ x: SPANS_A_REQUEST / r.size, y: r[thread] })));
  console.log(
    `${thread}: ${sizes.map((size, i) => `${size} spans ${at[i]?.toFixed(2)}`).join(", ")} µs a request; ` +
      `fit ${perRequest.toFixed(2)} µs a request + ${perBatch.toFixed(0)} µs a batch`,
  );
}
