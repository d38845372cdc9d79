import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { waitFor } from "./harness/wait-for.ts";

// Issue 11: a fresh `mindgw serve` on the embedded defaults holds at most 80 MB while idle. What
// start-up need not load is loaded on first use (the price catalogue, YAML, the tail UI, the
// tokenizer, jose, Ajv, the OpenTelemetry SDK…) and the executable keeps `import()`ed code in
// chunks read only when imported (scripts/build.ts). Measured after a full collection (the heap
// statistics line MINDGW_HEAP_STATS writes on SIGUSR2), so garbage left by start-up and the
// collector's timing do not count; bench/idle-rss.ts reads ~74 MB this way and from /proc.
const IDLE_RSS_BOUND = 80e6;

const fx = gatewayFixture({ fake: null, gateway: false });

test("idle RSS of a fresh `mindgw serve` on the embedded defaults is at most 80 MB", async () => {
  const statsFile = `${fx.dir}/heap-stats.jsonl`;
  const gw = await fx.spawn({ embeddedDefaults: true, env: { MINDGW_HEAP_STATS: statsFile } });
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
  const { memory } = JSON.parse(line) as { memory: { rss: number } };
  expect(memory.rss).toBeGreaterThan(20e6);
  expect(memory.rss).toBeLessThanOrEqual(IDLE_RSS_BOUND);
});
