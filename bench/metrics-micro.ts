/**
 * What `metrics.enabled` costs a request, without the rest of the gateway (issue 13): the
 * request's telemetry driven in a loop exactly as the front door and the router drive it — a
 * `RequestLedger` started through `createTelemetry().observe(...)` (over an inner observer that
 * publishes the request's two events on the bus, as audit does), its upstream attempts through
 * the ledger's attempt log (settled, closed), the first byte, the record finished (the access
 * line is built and discarded) — once with metrics on and once off, tracing unset on both.
 * Rounds alternate between the sides (on, off, off, on, …) so the machine's load hits them alike;
 * CPU is the main thread's own, exact to the call (`threadCpuNs`, bench/cpu-time.ts).
 *   bun bench/metrics-micro.ts [--rounds 30] [--requests 20000] [--stream] [--mixed] [--alone] [--cold] [--against DIR] [--aa] [--objects]
 * Prints ns per request on each side (median and range of the rounds), the difference with a 95 %
 * confidence interval (paired rounds, t distribution), and that difference as a share of a
 * request on the gateway's event loop (`--gateway-us`, default 80 µs: the main thread's CPU a
 * non-stream request at c=32, docs/BENCHMARKS.md).
 * `--mixed` cycles through twelve kinds of request instead of one (front doors, a model the
 * config does not route, 400 / 404 / 429 / 502 refusals and failures, retries and a failover, a
 * worker route, streams, a priced request), so every label lookup and histogram sees several
 * values. `--against DIR` adds a third side: another checkout's `src/` (say, main's), metrics on,
 * and prints this checkout's metrics against it (the way to judge a change of the metrics code).
 * `--alone` times the metrics' own calls only (`GatewayMetrics` and the request's `MeteredAttempts`,
 * on records a ledger made once per kind; the `off` side then does nothing): the finest figure,
 * with code and data hot, so a floor of what they cost inside the gateway.
 * `--cold` runs each request with the caches as a serving gateway's other work leaves them
 * (bench/cache-evictor.ts: 1 MB of data and 3,000 functions between two requests) and reports
 * the median request's time (wall, ns) a round: use a few thousand `--requests`.
 * `--aa` makes the `on` side metrics-off too: an A/A run, whose interval should hold 0.
 * `--objects` also lists the JS cells per request (by type) that differ between the sides: exact
 * counts, from 240 requests run between two heap readings with no collection between them.
 */

import { heapStats } from "bun:jsc";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import type { MetricSources } from "../src/telemetry/metrics/gateway-metrics.ts";
import { cacheEvictor } from "./cache-evictor.ts";
import { threadCpuNs } from "./cpu-time.ts";
import { meanInterval } from "./interval.ts";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "30" },
    requests: { type: "string", default: "20000" },
    stream: { type: "boolean", default: false },
    mixed: { type: "boolean", default: false },
    alone: { type: "boolean", default: false },
    cold: { type: "boolean", default: false },
    against: { type: "string" },
    "gateway-us": { type: "string", default: "80" },
    aa: { type: "boolean", default: false },
    objects: { type: "boolean", default: false },
  },
});
const rounds = Number(values.rounds);
const perRound = Number(values.requests);

const sources: MetricSources = {
  inFlight: () => 0,
  eventStreams: () => 0,
  breakers: () => [],
  workers: () => [],
  audit: () => ({ queued: 0, queuedBytes: 0, written: 0, rejected: 0, dropped: 0, bodiesDropped: 0 }),
  tenants: () => [],
  eventListenerErrors: () => 0,
};

/** The modules a side is built from: this checkout's, or `--against`'s (same shapes). */
async function modulesOf(root: string) {
  const at = (path: string) => join(root, "src", path);
  // The price catalogue is loaded on demand since session 45: the route table of a config naming
  // priced providers reads it, so a tree that loads it that way loads it here first.
  if (existsSync(at("pricing/catalogue-on-demand.ts")))
    await (
      (await import(
        at("pricing/catalogue-on-demand.ts")
      )) as typeof import("../src/pricing/catalogue-on-demand.ts")
    ).loadCatalogue();
  return {
    ...((await import(at("audit/event-bus.ts"))) as typeof import("../src/audit/event-bus.ts")),
    ...((await import(at("config/load-config.ts"))) as typeof import("../src/config/load-config.ts")),
    ...((await import(at("http/request-ledger.ts"))) as typeof import("../src/http/request-ledger.ts")),
    ...((await import(at("log/logger.ts"))) as typeof import("../src/log/logger.ts")),
    ...((await import(at("routing/route-table.ts"))) as typeof import("../src/routing/route-table.ts")),
    ...((await import(at("telemetry/telemetry.ts"))) as typeof import("../src/telemetry/telemetry.ts")),
    ...((await import(at("core/gateway-error.ts"))) as typeof import("../src/core/gateway-error.ts")),
    ...((await import(
      at("telemetry/metrics/metered-attempts.ts")
    )) as typeof import("../src/telemetry/metrics/metered-attempts.ts")),
  };
}
type Modules = Awaited<ReturnType<typeof modulesOf>>;
type Provider = import("../src/providers/provider.ts").Provider;
type GatewayError = import("../src/core/gateway-error.ts").GatewayError;
type RequestObserver = import("../src/http/request-ledger.ts").RequestObserver;
type AuditRecord = import("../src/audit/audit-record.ts").AuditRecord;
type PublishedRecord = import("../src/audit/published-record.ts").PublishedRecord;
type AttemptInfo = import("../src/telemetry/dispatch-telemetry.ts").AttemptInfo;

/** One upstream attempt of a request: where it went, and how it ended. */
interface AttemptShape {
  route: string;
  servedBy?: string;
  error?: GatewayError;
  retry?: number;
  failover?: boolean;
}

/** One kind of request: what the front door and the router would report of it. */
interface RequestShape {
  frontDoor: "chat" | "messages" | "embeddings" | "responses";
  model: string;
  stream: boolean;
  status: number;
  error?: GatewayError;
  attempts: AttemptShape[];
  tokens?: { inputTokens: number; outputTokens: number };
  costUsd?: number;
}

/** `--mixed`'s kinds of request, made with one side's own error class. */
function mixedShapes(m: Modules): RequestShape[] {
  const usage = { inputTokens: 10, outputTokens: 20 };
  const failed = m.upstreamError("upstream answered 500");
  const limited = new m.GatewayError({
    status: 429,
    code: "rate_limited",
    message: "rate limited",
    headers: { "x-ratelimit-remaining-tokens": "0" },
  });
  const ok = (route = "provider:fake"): AttemptShape[] => [{ route }];
  return [
    { frontDoor: "chat", model: "bench-model", stream: false, status: 200, attempts: ok(), tokens: usage },
    { frontDoor: "chat", model: "bench-model", stream: true, status: 200, attempts: ok(), tokens: usage },
    { frontDoor: "messages", model: "bench-model", stream: true, status: 200, attempts: ok(), tokens: usage },
    {
      frontDoor: "chat",
      model: "unrouted-model",
      stream: false,
      status: 404,
      error: m.notFound("no model"),
      attempts: [],
    },
    { frontDoor: "chat", model: "bench-model", stream: false, status: 429, error: limited, attempts: [] },
    {
      frontDoor: "chat",
      model: "bench-model",
      stream: false,
      status: 502,
      error: failed,
      attempts: [
        { route: "provider:fake", error: failed },
        { route: "provider:fake", error: failed, retry: 1 },
        { route: "provider:backup", error: failed, failover: true },
      ],
    },
    {
      frontDoor: "chat",
      model: "bench-model",
      stream: false,
      status: 200,
      attempts: [{ route: "provider:workers", servedBy: "worker:w1" }],
      tokens: usage,
    },
    {
      frontDoor: "embeddings",
      model: "embed-model",
      stream: false,
      status: 200,
      attempts: ok(),
      tokens: { inputTokens: 8, outputTokens: 0 },
    },
    {
      frontDoor: "responses",
      model: "bench-model",
      stream: false,
      status: 400,
      error: m.badRequest("bad"),
      attempts: [],
    },
    {
      frontDoor: "chat",
      model: "bench-model",
      stream: false,
      status: 200,
      attempts: ok(),
      tokens: usage,
      costUsd: 0.0004,
    },
    {
      frontDoor: "chat",
      model: "bench-model",
      stream: true,
      status: 200,
      attempts: ok("provider:backup"),
      tokens: usage,
    },
    { frontDoor: "chat", model: "embed-model", stream: false, status: 200, attempts: ok(), tokens: usage },
  ];
}

/** The single kind of request without `--mixed`: bench-model, one attempt, 200. */
const plainShape = (stream: boolean): RequestShape => ({
  frontDoor: "chat",
  model: "bench-model",
  stream,
  status: 200,
  attempts: [{ route: "provider:fake" }],
  tokens: { inputTokens: 10, outputTokens: 20 },
});

interface Side {
  run(i: number): void;
}

/** One side: the telemetry observer the composition root builds, metrics on or off. */
function sideOf(m: Modules, enabled: boolean): Side {
  const config = m.parseConfig({
    providers: [
      { name: "fake", type: "openai", base_url: "http://127.0.0.1:9/v1" },
      { name: "backup", type: "openai", base_url: "http://127.0.0.1:9/v1" },
    ],
    models: [
      {
        name: "bench-model",
        routes: [
          { provider: "fake", model: "bench-model" },
          { provider: "backup", model: "bench-model" },
        ],
      },
      { name: "embed-model", routes: [{ provider: "fake", model: "embed-model" }] },
    ],
    metrics: { enabled },
  });
  const bus = new m.EventBus();
  // What audit's observer does besides queueing the row: one event at each end of the request.
  const inner: RequestObserver = {
    started: (ledger) =>
      bus.publish({
        type: "request.started",
        at: ledger.startedAt,
        requestId: ledger.requestId,
        keyId: null,
        keyName: null,
        tenant: null,
        model: ledger.model,
        frontDoor: ledger.frontDoor,
        stream: ledger.stream,
      }),
    // No body is captured here: the record is published as it is (an `--against` tree may predate withoutBodies).
    finished: (record) =>
      bus.publish({ type: "request.finished", at: Date.now(), record: record as PublishedRecord }),
  };
  // The model label is resolved through a route table as in service (stub providers: never called).
  const stub = (name: string) => ({ name, dialect: "openai" }) as unknown as Provider;
  const table = new m.RouteTable(
    config,
    new Map([
      ["fake", stub("fake")],
      ["backup", stub("backup")],
    ]),
  );
  const telemetry = m.createTelemetry({
    config,
    // The access line is built as in service and written nowhere.
    logger: m.createLogger({ write: () => {} }),
    sources,
    bus,
    routedAs: (model) => table.routedAs(model),
    onAuditFlush: () => {},
  });
  const observer = telemetry.observe(inner);
  const shapes = values.mixed ? mixedShapes(m) : [plainShape(values.stream)];
  if (!values.alone)
    return { run: (i) => request(m, observer, shapes[i % shapes.length] as RequestShape, i) };
  // `--alone`: the metrics' own calls, on the records a ledger made once per kind of request.
  const metrics = telemetry.metrics;
  const records = shapes.map((shape, i) => {
    let made: AuditRecord | undefined;
    request(m, { started() {}, finished: (record) => (made = record) }, shape, i);
    if (!made) throw new Error("the ledger reported no record");
    return made;
  });
  const infos = shapes.map((shape) => shape.attempts.map((a) => attemptInfo(shape, a)));
  return {
    run(i) {
      const k = i % shapes.length;
      const shape = shapes[k] as RequestShape;
      const record = records[k] as AuditRecord;
      const attemptInfos = infos[k] ?? [];
      if (!metrics) return;
      if (shape.stream) metrics.streamStarted();
      const attempts = new m.MeteredAttempts(metrics, record);
      for (let j = 0; j < attemptInfos.length; j++) {
        const a = shape.attempts[j] as AttemptShape;
        attempts.attempt(attemptInfos[j] as AttemptInfo, i).settled(a.error, a.servedBy, i + 1.5);
      }
      metrics.requestFinished(record, shape.error);
      if (shape.stream) metrics.streamEnded();
    },
  };
}

const attemptInfo = (shape: RequestShape, a: AttemptShape): AttemptInfo => ({
  route: a.route,
  vendor: "openai",
  upstreamModel: shape.model,
  retry: a.retry ?? 0,
  failover: a.failover ?? false,
});

/** One request of `shape` through a ledger, as the front door and the router drive it. */
function request(m: Modules, observer: RequestObserver, shape: RequestShape, i: number): void {
  const ledger = new m.RequestLedger(
    `req-${i}`,
    Date.now(),
    shape.frontDoor,
    "127.0.0.1",
    "bench",
    null,
    null,
    observer,
  );
  ledger.model = shape.model;
  ledger.stream = shape.stream;
  observer.started(ledger);
  const dispatch = ledger.dispatchTelemetry();
  for (const a of shape.attempts) {
    const attempt = dispatch.attempt(attemptInfo(shape, a), performance.now());
    attempt.settled(a.error, a.servedBy, performance.now());
    attempt.closed(a.error);
  }
  if (shape.status < 400) ledger.firstByte();
  if (shape.tokens) ledger.usage = shape.tokens;
  if (shape.costUsd) ledger.costUsd = shape.costUsd;
  ledger.finish(shape.status, shape.error);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
const evict = values.cold ? cacheEvictor(1024, 3000) : undefined;

/** ns a request over one round: the thread's CPU over the round, or (`--cold`) the median request's time. */
function round(side: Side, offset: number): number {
  if (evict) {
    const took: number[] = [];
    for (let i = 0; i < perRound; i++) {
      evict();
      const start = Bun.nanoseconds();
      side.run(offset + i);
      took.push(Bun.nanoseconds() - start);
    }
    return median(took);
  }
  const before = threadCpuNs();
  for (let i = 0; i < perRound; i++) side.run(offset + i);
  return (threadCpuNs() - before) / perRound;
}

const here = await modulesOf(resolve(import.meta.dir, ".."));
const sides = new Map<string, Side>([
  // `--aa`: both sides off, the harness's own noise floor (the interval should hold 0).
  ["on", sideOf(here, !values.aa)],
  ["off", sideOf(here, false)],
]);
if (values.against) sides.set("against", sideOf(await modulesOf(resolve(values.against)), true));
// Warm-up: every side through the JIT's tiers.
for (let w = 0; w < 3; w++) for (const side of sides.values()) round(side, 0);
const found = new Map([...sides.keys()].map((name) => [name, [] as number[]]));
for (let r = 0; r < rounds; r++) {
  const order = [...sides];
  if (r % 2 === 1) order.reverse();
  for (const [name, side] of order) found.get(name)?.push(round(side, r * perRound));
}

const range = (xs: number[]) => `${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}`;
const gatewayNs = Number(values["gateway-us"]) * 1000;
const share = (ns: number) => `${((100 * ns) / gatewayNs).toFixed(2)} %`;
/** `a − b`, paired round by round, with its interval and its share of a gateway request. */
function difference(a: string, b: string): string {
  const xs = found.get(a) ?? [];
  const ys = found.get(b) ?? [];
  const d = meanInterval(xs.map((x, i) => x - (ys[i] ?? Number.NaN)));
  return (
    `${a} − ${b}: ${d.mean.toFixed(0)} ns/request, 95 % CI ${d.low.toFixed(0)} to ${d.high.toFixed(0)}` +
    ` = ${share(d.mean)} of a ${values["gateway-us"]} µs loop request (${share(d.low)} to ${share(d.high)})`
  );
}
const kind = values.mixed ? "mixed (12 kinds)" : values.stream ? "stream" : "non-stream";
console.log(
  `${kind}, ${rounds} rounds of ${perRound} requests a side, ${evict ? "cold caches, the median request's time" : "main thread CPU"}:`,
);
for (const [name, xs] of found)
  console.log(`${name.padEnd(8)} ${median(xs).toFixed(0)} ns/request (${range(xs)})`);
console.log(difference("on", "off"));
if (values.against) {
  console.log(difference("against", "off"));
  console.log(difference("on", "against"));
}

if (values.objects) {
  /** Cells made per request, by type: live cells after 240 requests less before (no collection between). */
  const cellsOf = (side: Side) => {
    Bun.gc(true);
    const before = heapStats().objectTypeCounts;
    for (let i = 0; i < 240; i++) side.run(i);
    const after = heapStats().objectTypeCounts;
    return Object.fromEntries(
      Object.entries(after).map(([type, count]) => [type, (count - (before[type] ?? 0)) / 240]),
    );
  };
  const cells = new Map([...sides].map(([name, side]) => [name, cellsOf(side)]));
  const names = [...cells.keys()];
  console.log(`cells per request, ${names.join(" | ")} (types that differ):`);
  const types = new Set([...cells.values()].flatMap((c) => Object.keys(c)));
  for (const type of types) {
    const counts = names.map((name) => cells.get(name)?.[type] ?? 0);
    if (Math.max(...counts) - Math.min(...counts) >= 0.25)
      console.log(`  ${type}: ${counts.map((c) => c.toFixed(2)).join(" | ")}`);
  }
}
