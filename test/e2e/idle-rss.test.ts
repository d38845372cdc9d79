import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { waitFor } from "./harness/wait-for.ts";

// Issue 11: a fresh `mindgw serve` on the embedded defaults holds at most 80 MB while idle. What
// start-up need not load is loaded on first use (the price catalogue, YAML, OpenTelemetry's core,
// the tail UI, the tokenizer, jose, Ajv, the OpenTelemetry SDK…), with `import()` where the code
// loading it is read at start: the executable keeps imported code in chunks read only when imported
// (scripts/build-options.ts), where required code is bundled into the chunks of the code requiring
// it, evaluated later but read all the same; and `mindgw` imports only the subcommand it runs.
// Nothing read at start may make an `Intl` formatter as it loads: that maps ~1 MB of ICU's data
// and code (session 46's `cli/dollars.ts`); nor the zod schemas of what a start never serves
// (another dialect's bodies, the shadow API's, key administration's: 895 schemas, ~4 MB of RSS with
// the pages making them touched, ~3 of it the translations'), made on first use
// (src/cli/serve-start-schemas.test.ts guards them). Measured after a full collection (the heap statistics line MINDGW_HEAP_STATS writes on
// SIGUSR2), so garbage left by start-up and the collector's timing do not count; bench/idle-rss.ts
// reads it this way and from /proc. About 50 MB of it is the executable's own pages, and how many
// of those a start maps depends on the page cache (the kernel maps the cached pages around each one
// a start touches, and how large the cached folios are): the highest reading is a start whose
// executable was just built, a median of 74.9–75.0 MB since session 47 (78.7–79.3 before it,
// 80.5–81.1 before session 46; docs/BENCHMARKS.md, idle RSS), ±0.5 MB from one build to another.
// test/build/start-chunks.test.ts keeps the code read at start free of what need not be. Read as
// the median of three fresh starts.
const IDLE_RSS_BOUND = 80e6;
const STARTS = 3;

const fx = gatewayFixture({ fake: null, gateway: false });

/** One fresh start's RSS after a full collection, read from its heap statistics line. */
async function idleRss(start: number): Promise<number> {
  const statsFile = `${fx.dir}/heap-stats-${start}.jsonl`;
  const gw = await fx.spawn({ embeddedDefaults: true, env: { MINDGW_HEAP_STATS: statsFile } });
  try {
    await waitFor("the listening log line", () => gw.stderr.all.includes("(embedded defaults)"));
    gw.proc.kill("SIGUSR2");
    const line = await waitFor("the heap statistics line", () => {
      try {
        const text = readFileSync(statsFile, "utf8");
        return text.includes("\n") ? text.slice(0, text.indexOf("\n")) : undefined;
      } catch {
        return undefined;
      }
    });
    return (JSON.parse(line) as { memory: { rss: number } }).memory.rss;
  } finally {
    gw.proc.kill("SIGKILL");
    await gw.proc.exited;
  }
}

test("idle RSS of a fresh `mindgw serve` on the embedded defaults is at most 80 MB (the median of three starts)", async () => {
  const readings: number[] = [];
  for (let start = 0; start < STARTS; start++) readings.push(await idleRss(start));
  const median = readings.toSorted((a, b) => a - b)[Math.floor(STARTS / 2)] ?? Number.NaN;
  // Said in the run's log, so a CI run shows its margin (docs/BENCHMARKS.md quotes such readings).
  console.log(`idle RSS, ${STARTS} fresh starts: ${readings.map((r) => (r / 1e6).toFixed(2)).join(", ")} MB`);
  expect(median).toBeGreaterThan(20e6);
  expect(median).toBeLessThanOrEqual(IDLE_RSS_BOUND);
});
