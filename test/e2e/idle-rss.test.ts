import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { waitFor } from "./harness/wait-for.ts";

// Issue 11: a fresh `mindgw serve` on the embedded defaults holds at most 80 MB while idle. What
// start-up need not load is loaded on first use (the price catalogue, YAML, the tail UI, the
// tokenizer, jose, Ajv, the OpenTelemetry SDK…) and the executable keeps `import()`ed code in
// chunks read only when imported (scripts/build.ts). Measured after a full collection (the heap
// statistics line MINDGW_HEAP_STATS writes on SIGUSR2), so garbage left by start-up and the
// collector's timing do not count; bench/idle-rss.ts reads ~79 MB this way and from /proc. About
// half of it is the executable's own pages, and how many of those a start maps varies with the
// page cache (the kernel maps pages around each one a start touches when they are cached): one
// start reads up to ~1 MB more than another of the same binary, so the promise is read as the
// median of three fresh starts, as bench/idle-rss.ts reads it.
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
  expect(median).toBeGreaterThan(20e6);
  expect(median).toBeLessThanOrEqual(IDLE_RSS_BOUND);
});
