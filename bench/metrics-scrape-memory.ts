/**
 * What a scrape of a 1,000-model config costs and keeps, in process (`GatewayMetrics` alone, no
 * gateway around it, so the heap holds little else): `--models` models of two routes each (their
 * 6·M·3 request series at 0, OBSERVABILITY.md), and with `--traffic` a 2xx and a 5xx request on
 * one front door of each model (each such label set's counter, duration and token histograms).
 *   bun bench/metrics-scrape-memory.ts [--models 1000] [--traffic] [--scrapes 30] [--src DIR]
 * Prints the exposition's size; the heap the scrapes keep: after a full GC, after three scrapes
 * less before any, in bytes and in live strings (what text kept between scrapes costs; the
 * series' own cells are made before; the bytes move by a few MB with what the collector keeps of
 * the scrapes' garbage, the count of strings does not); and the render of a later scrape (`GatewayMetrics.scrape`, and its text encoded as a
 * response's body, one request counted before each, as between two real scrapes), median (min–max). `--src DIR` runs another
 * checkout's `src/` (say, one exported with `git archive`, its node_modules linked) to compare.
 */
import { heapStats } from "bun:jsc";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { spread } from "./stats.ts";

const { values } = parseArgs({
  options: {
    models: { type: "string", default: "1000" },
    traffic: { type: "boolean", default: false },
    scrapes: { type: "string", default: "30" },
    src: { type: "string", default: join(import.meta.dir, "..", "src") },
  },
});
const models = Number(values.models);
const src = resolve(values.src);

const { GatewayMetrics } = (await import(
  join(src, "telemetry/metrics/gateway-metrics.ts")
)) as typeof import("../src/telemetry/metrics/gateway-metrics.ts");
const { quietSources } = (await import(
  join(src, "telemetry/metrics/testing/quiet-sources.ts")
)) as typeof import("../src/telemetry/metrics/testing/quiet-sources.ts");
const { auditRecord } = (await import(
  join(src, "audit/testing/audit-record.ts")
)) as typeof import("../src/audit/testing/audit-record.ts");

/** A metrics object of `count` models, with the traffic asked for. */
function metricsOf(count: number) {
  const configured = {
    models: Array.from({ length: count }, (_, i) => ({ model: `model-${i}`, providers: ["a", "b"] })),
    tenants: [] as string[],
  };
  const made = new GatewayMetrics(quietSources({ configured: () => configured }), (m) => m ?? "other");
  if (values.traffic)
    for (let i = 0; i < count; i++)
      for (const status of [200, 502])
        made.requestFinished(auditRecord({ model: `model-${i}`, route: "provider:a", status }), undefined);
  return made;
}

/** Three scrapes; the last one's length. Its own frame, so no text of theirs is left on ours. */
async function scrapeThrice(of: InstanceType<typeof GatewayMetrics>): Promise<number> {
  let length = 0;
  for (let i = 0; i < 3; i++) length = (await of.scrape()).length;
  return length;
}

/**
 * The heap after a full collection: its bytes and its live strings. JavaScriptCore scans the
 * stack conservatively: a deep call first overwrites what a scrape left there, which could hold
 * its text alive.
 */
const heap = () => {
  const clobber = (depth: number): number => (depth === 0 ? 0 : 1 + clobber(depth - 1));
  clobber(2_000);
  Bun.gc(true);
  Bun.gc(true);
  const stats = heapStats();
  return { bytes: stats.heapSize + stats.extraMemorySize, strings: stats.objectTypeCounts.string ?? 0 };
};
// The scrape's code compiled on a small config first: its code is not what a scrape keeps.
await scrapeThrice(metricsOf(20));
const metrics = metricsOf(models);
const before = heap();
const bytes = await scrapeThrice(metrics);
const after = heap();

const encoder = new TextEncoder();
const renders: number[] = [];
for (let i = 0; i < Number(values.scrapes); i++) {
  metrics.requestFinished(auditRecord({ model: `model-${i % models}`, route: "provider:a" }), undefined);
  const started = performance.now();
  // Encoded as a response's body is: a text left as a rope of its pieces is joined here.
  encoder.encode(await metrics.scrape());
  renders.push(performance.now() - started);
}
console.log(
  `src ${src}: ${models} models, ${values.traffic ? "traffic on each" : "no traffic"}: exposition ${(bytes / 1e6).toFixed(1)} MB, kept by scrapes ${((after.bytes - before.bytes) / 1e6).toFixed(1)} MB and ${(after.strings - before.strings).toLocaleString("en")} strings, a later scrape ${spread(renders, 1)} ms`,
);
