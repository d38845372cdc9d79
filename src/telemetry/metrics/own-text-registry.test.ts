import { expect, test } from "bun:test";
import { Registry } from "prom-client";
import { FoldedCounter, FoldedHistogram } from "./folded-metrics.ts";
import { OwnTextRegistry } from "./own-text-registry.ts";

// The folded families print their own text in the Prometheus format, with no default labels and
// no `collect`: what would make prom-client print otherwise is refused where it is set, not left
// out of every scrape without a word.

test("the registry refuses default labels and OpenMetrics, which the folded families' text would leave out", async () => {
  const registry = new OwnTextRegistry();
  const counter = new FoldedCounter({
    name: "c_total",
    help: "a counter",
    labelNames: ["door"],
    registers: [registry],
  });
  counter.cell({ door: "chat" }).inc();
  expect(() => registry.setDefaultLabels({ node: "gw-1" })).toThrow("default labels");
  expect(() => registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE)).toThrow(
    "Prometheus text format only",
  );
  // Refused before anything changed: the scrape is what prom-client prints, and says so.
  expect(registry.contentType).toBe(Registry.PROMETHEUS_CONTENT_TYPE);
  expect(await registry.exposition()).toBe(await registry.metrics());
  expect(await registry.exposition()).toBe(
    '# HELP c_total a counter\n# TYPE c_total counter\nc_total{door="chat"} 1\n',
  );
});

test("a folded family refuses a collect callback, whose values it would never print", () => {
  const registers = [new OwnTextRegistry()];
  const collect = () => {};
  // A caller outside TypeScript's reach (the type leaves `collect` out).
  const counter = { name: "c_total", help: "a counter", registers, collect } as {
    name: string;
    help: string;
  };
  expect(() => new FoldedCounter(counter)).toThrow(
    "c_total: a folded metric family takes no collect callback",
  );
  const histogram = { name: "h_seconds", help: "a histogram", buckets: [1], registers, collect };
  expect(() => new FoldedHistogram(histogram as { name: string; help: string; buckets: number[] })).toThrow(
    "h_seconds: a folded metric family takes no collect callback",
  );
});
