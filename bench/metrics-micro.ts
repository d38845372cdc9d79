/**
 * What `metrics.enabled` costs a request, without the rest of the gateway (issue 13): the
 * request's telemetry driven in a loop exactly as the front door and the router drive it — a
 * `RequestLedger` started through `createTelemetry().observe(...)` (over an inner observer that
 * publishes the request's two events on the bus, as audit does), one upstream attempt through
 * the ledger's attempt log (settled, closed), the first byte, the record finished (the access
 * line is built and discarded) — once with metrics on and once off, tracing unset on both.
 * Rounds alternate between the two (on, off, off, on, …) so the machine's load hits both alike;
 * CPU is the main thread's own, exact to the call (`threadCpuNs`, bench/cpu-time.ts).
 *   bun bench/metrics-micro.ts [--rounds 30] [--requests 20000] [--stream] [--aa] [--objects]
 * Prints ns per request on each side (median and range of the rounds), the difference with a 95 %
 * confidence interval (paired rounds, t distribution), and that difference as a share of a
 * request through the whole gateway (`--gateway-us`, default 150 µs: docs/BENCHMARKS-HISTORY.md).
 * `--aa` makes both sides metrics-off: an A/A run, whose interval should hold 0. `--objects` also
 * lists the JS cells per request (by type) that differ between the sides: exact counts, from
 * 200 requests run between two heap readings with no collection between them.
 */

import { heapStats } from "bun:jsc";
import { parseArgs } from "node:util";
import { EventBus } from "../src/audit/event-bus.ts";
import { parseConfig } from "../src/config/load-config.ts";
import { RequestLedger, type RequestObserver } from "../src/http/request-ledger.ts";
import { createLogger } from "../src/log/logger.ts";
import type { Provider } from "../src/providers/provider.ts";
import { RouteTable } from "../src/routing/route-table.ts";
import type { MetricSources } from "../src/telemetry/metrics/gateway-metrics.ts";
import { createTelemetry } from "../src/telemetry/telemetry.ts";
import { threadCpuNs } from "./cpu-time.ts";
import { meanInterval } from "./interval.ts";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "30" },
    requests: { type: "string", default: "20000" },
    stream: { type: "boolean", default: false },
    "gateway-us": { type: "string", default: "150" },
    aa: { type: "boolean", default: false },
    objects: { type: "boolean", default: false },
  },
});
const rounds = Number(values.rounds);
const perRound = Number(values.requests);
const stream = values.stream;

const sources: MetricSources = {
  inFlight: () => 0,
  breakers: () => [],
  workers: () => [],
  audit: () => ({ queued: 0, written: 0, rejected: 0, dropped: 0 }),
  tenants: () => [],
};

/** One side: the telemetry observer the composition root builds, metrics on or off. */
function side(enabled: boolean): RequestObserver {
  const config = parseConfig({
    providers: [{ name: "fake", type: "openai", base_url: "http://127.0.0.1:9/v1" }],
    models: [{ name: "bench-model", routes: [{ provider: "fake", model: "bench-model" }] }],
    metrics: { enabled },
  });
  const bus = new EventBus();
  // What audit's observer does besides queueing the row: one event at each end of the request.
  const inner: RequestObserver = {
    started: (ledger) =>
      bus.publish({
        type: "request.started",
        at: ledger.startedAt,
        requestId: ledger.requestId,
        keyName: null,
        tenant: null,
        model: ledger.model,
        frontDoor: ledger.frontDoor,
        stream: ledger.stream,
      }),
    finished: (record) => bus.publish({ type: "request.finished", at: Date.now(), record }),
  };
  // The model label is resolved through a route table as in service (a stub provider: never called).
  const provider = { name: "fake", dialect: "openai" } as unknown as Provider;
  const table = new RouteTable(config, new Map([["fake", provider]]));
  const telemetry = createTelemetry({
    config,
    // The access line is built as in service and written nowhere.
    logger: createLogger({ write: () => {} }),
    sources,
    bus,
    routes: (model) => table.resolve(model) !== undefined,
    onAuditFlush: () => {},
  });
  return telemetry.observe(inner);
}

const info = {
  route: "provider:fake",
  dialect: "openai",
  upstreamModel: "bench-model",
  retry: 0,
  failover: false,
};

function request(observer: RequestObserver, i: number): void {
  const ledger = new RequestLedger(`req-${i}`, Date.now(), "chat", "127.0.0.1", "bench", null, observer);
  ledger.model = "bench-model";
  ledger.stream = stream;
  observer.started(ledger);
  const attempt = ledger.dispatchTelemetry().attempt(info, performance.now());
  attempt.settled(undefined, "provider:fake", performance.now());
  ledger.route = "provider:fake";
  ledger.upstreamModel = "bench-model";
  ledger.firstByte();
  ledger.usage = { inputTokens: 10, outputTokens: 20 };
  attempt.closed();
  ledger.finish(200);
}

function round(observer: RequestObserver, offset: number): number {
  const before = threadCpuNs();
  for (let i = 0; i < perRound; i++) request(observer, offset + i);
  return (threadCpuNs() - before) / perRound;
}

// `--aa`: both sides off, the harness's own noise floor (the interval should hold 0).
const on = side(!values.aa);
const off = side(false);
// Warm-up: both sides through the JIT's tiers.
for (let w = 0; w < 3; w++) {
  round(on, 0);
  round(off, 0);
}
const found = { on: [] as number[], off: [] as number[] };
for (let r = 0; r < rounds; r++) {
  const order: ["on" | "off", RequestObserver][] = [
    ["on", on],
    ["off", off],
  ];
  if (r % 2 === 1) order.reverse();
  for (const [name, observer] of order) found[name].push(round(observer, r * perRound));
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
const range = (xs: number[]) => `${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}`;
const diff = meanInterval(found.on.map((x, i) => x - (found.off[i] ?? Number.NaN)));
const gatewayNs = Number(values["gateway-us"]) * 1000;
console.log(
  `${stream ? "stream" : "non-stream"}, ${rounds} rounds of ${perRound} requests a side, main thread CPU:\n` +
    `metrics on  ${median(found.on).toFixed(0)} ns/request (${range(found.on)})\n` +
    `metrics off ${median(found.off).toFixed(0)} ns/request (${range(found.off)})\n` +
    `on − off    ${diff.mean.toFixed(0)} ns/request, 95 % CI ${diff.low.toFixed(0)} to ${diff.high.toFixed(0)}` +
    ` = ${((100 * diff.mean) / gatewayNs).toFixed(2)} % of a ${values["gateway-us"]} µs gateway request` +
    ` (${((100 * diff.low) / gatewayNs).toFixed(2)} to ${((100 * diff.high) / gatewayNs).toFixed(2)} %)`,
);

if (values.objects) {
  /** Cells made per request, by type: live cells after 200 requests less before (no collection between). */
  const cellsOf = (observer: RequestObserver) => {
    Bun.gc(true);
    const before = heapStats().objectTypeCounts;
    for (let i = 0; i < 200; i++) request(observer, i);
    const after = heapStats().objectTypeCounts;
    return Object.fromEntries(
      Object.entries(after).map(([type, count]) => [type, (count - (before[type] ?? 0)) / 200]),
    );
  };
  const a = cellsOf(on);
  const b = cellsOf(off);
  console.log("cells per request, on | off (types that differ):");
  for (const type of new Set([...Object.keys(a), ...Object.keys(b)]))
    if (Math.abs((a[type] ?? 0) - (b[type] ?? 0)) >= 0.25)
      console.log(`  ${type}: ${(a[type] ?? 0).toFixed(2)} | ${(b[type] ?? 0).toFixed(2)}`);
}
