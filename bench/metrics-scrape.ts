/**
 * What a Prometheus scrape costs the gateway's event loop with a large config: a gateway in
 * library form (`createGateway()`, SQLite audit) with `--models` models of two mock routes each
 * (so 6·M·3 request series and M spend series made at 0 from the config, OBSERVABILITY.md), some
 * traffic on `--busy` of them, then `GET /metrics` on `metrics.listen` `--scrapes` times, one at
 * a time, each after a few more requests (so the series a scrape prints have changed since the
 * last one, as between two real scrapes).
 *   bun bench/metrics-scrape.ts [--models 1000] [--busy 50] [--scrapes 40] [--src DIR]
 * Prints, median (min–max) over the scrapes after the first: the time the gateway took to render
 * the exposition (`GatewayMetrics.scrape`, timed server-side), the longest the event loop went
 * without a turn while the scrape was served (a `setTimeout(0)` chain stamps each turn, to ~1 ms;
 * a `setImmediate` chain is starved while the fetch waits), the scrape's wall time as this
 * process's `fetch` saw it, and the exposition's size. The first scrape is given alone (it renders every
 * series for the first time). `--src DIR` runs another checkout's `src/` (say, main's exported
 * with `git archive`, its node_modules linked to this one's) to compare the two on one machine.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { FIXED_PRINCIPAL } from "./fixed-principal.ts";
import { spread } from "./stats.ts";

const { values } = parseArgs({
  options: {
    models: { type: "string", default: "1000" },
    busy: { type: "string", default: "50" },
    scrapes: { type: "string", default: "40" },
    src: { type: "string", default: join(import.meta.dir, "..", "src") },
  },
});
const models = Number(values.models);
const busy = Math.min(models, Number(values.busy));
const src = resolve(values.src);

const { parseConfig } = (await import(
  join(src, "config/load-config.ts")
)) as typeof import("../src/config/load-config.ts");
const { createGateway } = (await import(
  join(src, "gateway/create-gateway.ts")
)) as typeof import("../src/gateway/create-gateway.ts");
const { GatewayMetrics } = (await import(
  join(src, "telemetry/metrics/gateway-metrics.ts")
)) as typeof import("../src/telemetry/metrics/gateway-metrics.ts");
const { openSqliteStorage } = (await import(
  join(src, "storage/sqlite/sqlite-storage.ts")
)) as typeof import("../src/storage/sqlite/sqlite-storage.ts");

const dir = await mkdtemp(join(tmpdir(), "mindgw-bench-scrape-"));
const config = parseConfig({
  server: { host: "127.0.0.1", port: 0 },
  storage: { driver: "sqlite", path: join(dir, "mindgw.db") },
  auth: { bootstrap_admin: false },
  metrics: { listen: "127.0.0.1:0" },
  providers: [
    { name: "a", type: "mock" },
    { name: "b", type: "mock" },
  ],
  models: Array.from({ length: models }, (_, i) => ({
    name: `model-${i}`,
    routes: [
      { provider: "a", model: `up-${i}` },
      { provider: "b", model: `up-${i}` },
    ],
  })),
});
let scrapeUrl = "";
const quiet = () => {};
const gateway = await createGateway({
  config,
  storage: openSqliteStorage(config.storage.path),
  auth: async () => FIXED_PRINCIPAL,
  logger: {
    debug: quiet,
    warn: quiet,
    error: quiet,
    info(message, fields) {
      if (message === "metrics listening") scrapeUrl = String(fields?.url);
    },
  },
});
if (!scrapeUrl) throw new Error("no metrics listener");

const chat = async (model: string) => {
  const res = await gateway.handle(
    new Request("http://gateway/v1/chat/completions", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model, messages: [{ role: "user", content: "hello" }] }),
    }),
  );
  await res.arrayBuffer();
};
for (let i = 0; i < busy; i++) await chat(`model-${i}`);

/** One scrape: its longest pause of the event loop (ms), its wall time (ms), its size (bytes). */
async function scrapeOnce(): Promise<{ block: number; wall: number; bytes: number }> {
  let last = performance.now();
  let block = 0;
  let ticking = true;
  const tick = () => {
    const now = performance.now();
    block = Math.max(block, now - last);
    last = now;
    if (ticking) setTimeout(tick, 0);
  };
  setTimeout(tick, 0);
  const started = performance.now();
  const text = await (await fetch(scrapeUrl)).text();
  const wall = performance.now() - started;
  ticking = false;
  return { block, wall, bytes: text.length };
}

/** Each scrape's render, server-side: from the call to the text in hand. */
const renders: number[] = [];
const scrape = GatewayMetrics.prototype.scrape;
GatewayMetrics.prototype.scrape = async function (this: InstanceType<typeof GatewayMetrics>) {
  const started = performance.now();
  const text = await scrape.call(this);
  renders.push(performance.now() - started);
  return text;
};

const first = await scrapeOnce();
const later: { block: number; wall: number; bytes: number }[] = [];
for (let i = 0; i < Number(values.scrapes); i++) {
  for (let j = 0; j < 5; j++) await chat(`model-${(i * 5 + j) % busy}`);
  later.push(await scrapeOnce());
}
console.log(`src ${src}: ${models} models, ${busy} with traffic`);
console.log(
  `first scrape: render ${renders[0]?.toFixed(1)} ms, loop block ${first.block.toFixed(1)} ms, wall ${first.wall.toFixed(1)} ms`,
);
console.log(
  `later scrapes (${later.length}): render ${spread(renders.slice(1), 2)} ms, loop block ${spread(
    later.map((s) => s.block),
    2,
  )} ms, wall ${spread(
    later.map((s) => s.wall),
    2,
  )} ms, ${(later.at(-1)?.bytes ?? 0).toLocaleString("en")} bytes`,
);
await gateway.stop();
await rm(dir, { recursive: true, force: true });
