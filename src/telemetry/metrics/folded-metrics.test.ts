import { expect, test } from "bun:test";
import { Counter, Histogram, Registry } from "prom-client";
import { FoldedCounter, FoldedHistogram } from "./folded-metrics.ts";
import { OwnTextRegistry } from "./own-text-registry.ts";

// The folded families must print exactly what prom-client prints for the same observations:
// same lines, same order (first observation of each label set), same float sums.

test("folded histograms and counters scrape exactly as prom-client's own", async () => {
  const plain = new Registry();
  const folded = new OwnTextRegistry();
  const config = { name: "h_seconds", help: "a histogram", labelNames: ["door", "model"] as const };
  const buckets = [0.01, 0.1, 1, 10];
  const h1 = new Histogram({ ...config, buckets, registers: [plain] });
  const h2 = new FoldedHistogram({ ...config, buckets, registers: [folded] });
  const c1 = new Counter({ name: "c_total", help: "a counter", labelNames: ["door"], registers: [plain] });
  const c2 = new FoldedCounter({
    name: "c_total",
    help: "a counter",
    labelNames: ["door"],
    registers: [folded],
  });
  new Counter({ name: "unused_total", help: "not counted", labelNames: ["x"], registers: [plain] });
  new FoldedCounter({ name: "unused_total", help: "not counted", labelNames: ["x"], registers: [folded] });

  // A label value with every character the format escapes.
  const doors = ["chat", "messages", "embeddings", 'we"ird\\door\nx'];
  const cells = new Map(
    doors.map((door) => [door, { h: h2.cell({ door, model: "m" }), c: c2.cell({ door }) }]),
  );
  // A cell resolved but never observed prints nothing, as a label set never seen does not.
  h2.cell({ door: "never", model: "m" });
  let seed = 7;
  const random = () => {
    seed = (seed * 16807) % 2147483647;
    return seed / 2147483647;
  };
  for (let i = 0; i < 500; i++) {
    const door = doors[Math.floor(random() * doors.length)] ?? "chat";
    // Values on the bounds, between them, beyond the last, and zero.
    const value = [0, 0.01, 0.05, 1, 3.3, 10, 42][Math.floor(random() * 7)] ?? 0;
    h1.observe({ door, model: "m" }, value);
    cells.get(door)?.h.observe(value);
    const by = random() < 0.2 ? 0 : random() * 0.003;
    c1.inc({ door }, by);
    cells.get(door)?.c.inc(by);
  }
  const text = await folded.metrics();
  expect(text).toBe(await plain.metrics());
  expect(text).toContain('h_seconds_bucket{le="+Inf",door="chat",model="m"}');
  expect(text).toContain('c_total{door="we\\"ird\\\\door\\nx"}');
  expect(text).not.toContain('door="never"');
  // The text the folded families keep themselves: the same, and again once some cells moved.
  expect(await folded.exposition()).toBe(text);
  cells.get("messages")?.h.observe(0.2);
  cells.get("chat")?.c.inc(1);
  h1.observe({ door: "messages", model: "m" }, 0.2);
  c1.inc({ door: "chat" }, 1);
  expect(await folded.exposition()).toBe(await plain.metrics());
});

/**
 * The strings reachable from `root` through properties (TypeScript's `private` fields among them),
 * arrays and maps: how many references, and their characters.
 */
function stringsHeld(root: object): { strings: number; chars: number } {
  const seen = new Set<object>();
  const held = { strings: 0, chars: 0 };
  const visit = (value: unknown): void => {
    if (typeof value === "string") {
      held.strings++;
      held.chars += value.length;
      return;
    }
    if (typeof value !== "object" || value === null || seen.has(value)) return;
    seen.add(value);
    if (value instanceof Map)
      for (const [key, entry] of value) {
        visit(key);
        visit(entry);
      }
    for (const name of Object.getOwnPropertyNames(value)) visit(Reflect.get(value, name));
  };
  visit(root);
  return held;
}

test("between scrapes a folded series keeps one string, its labels' text: none of its lines, nor a family's text", async () => {
  const registry = new OwnTextRegistry();
  const histogram = new FoldedHistogram({
    name: "h_seconds",
    help: "a histogram",
    labelNames: ["door", "model"] as const,
    buckets: [0.01, 0.1, 1, 10],
    registers: [registry],
  });
  const counter = new FoldedCounter({
    name: "c_total",
    help: "a counter",
    labelNames: ["door", "model"],
    registers: [registry],
  });
  const series = 1_000;
  for (let i = 0; i < series; i++) {
    histogram.cell({ door: "chat", model: `model-${i}` }).observe(i / 1000);
    counter.cell({ door: "chat", model: `model-${i}` }).inc(i);
  }
  const before = stringsHeld(registry);
  let text = "";
  for (let i = 0; i < 3; i++) text = await registry.exposition();
  const after = stringsHeld(registry);
  // A cell's labels, `door="chat",model="model-1"`, 26–30 characters: one string a cell.
  expect(after.strings - before.strings).toBe(2 * series);
  expect(after.chars - before.chars).toBeLessThan(2 * series * 30);
  // What a kept text would be: ~160,000 characters of lines (the histogram's eight a series).
  expect(text.length).toBeGreaterThan(150_000);
});
