/**
 * How fast /admin is with a big audit log: builds 1,000,000 audit rows (about 28 hours of
 * traffic ending now), starts dist/mindgw on them, and times in Chromium (playwright-core) the
 * Requests page from navigation to its first rows, a filter, "Load older", and the Overview; and
 * the API calls behind them with fetch. Each figure is the median of BENCH_RUNS (5) runs.
 *   bun run build && bun bench/admin-ui-load.ts
 * Environment: BENCH_ROWS (1000000), BENCH_RUNS (5).
 */
import { join } from "node:path";
import { buildLargeLog } from "../src/audit/testing/large-log.ts";
import { launchBrowser } from "../test/e2e/harness/browser.ts";
import { spawnGateway } from "../test/e2e/harness/spawn-gateway.ts";
import { tempDir } from "../test/e2e/harness/temp-dir.ts";

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const STEP_MS = 100;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
/** Times `run`; a run that returns a number has measured its own part (after its setup). */
async function timed(run: () => Promise<unknown>): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    const own = await run();
    samples.push(typeof own === "number" ? own : performance.now() - start);
  }
  return median(samples);
}

const dir = tempDir("mindgw-bench-admin-");
const built = performance.now();
buildLargeLog(join(dir.path, "mindgw.db"), {
  rows: ROWS,
  startMs: Date.now() - ROWS * STEP_MS,
  stepMs: STEP_MS,
});
console.log(`built ${ROWS} audit rows in ${((performance.now() - built) / 1000).toFixed(1)} s`);

const gw = await spawnGateway({ dir: dir.path });
const browser = await launchBrowser();
const results: [string, number][] = [];
try {
  const key = gw.adminKey ?? "";
  const auth = { authorization: `Bearer ${key}` };
  const api = (path: string) => async () => {
    const response = await fetch(`${gw.url}${path}`, { headers: auth });
    if (!response.ok) throw new Error(`${path}: ${response.status}`);
    return response.json();
  };
  const first = (await api("/admin/api/audit?limit=50")()) as { nextCursor: string };
  for (const [label, path] of [
    ["API: first page (50 rows)", "/admin/api/audit?limit=50"],
    ["API: next page (cursor)", `/admin/api/audit?limit=50&cursor=${encodeURIComponent(first.nextCursor)}`],
    ["API: model filter", "/admin/api/audit?limit=50&model=llama-3.1-8b"],
    ["API: status 5xx", "/admin/api/audit?limit=50&status=5xx"],
    ["API: key filter", "/admin/api/audit?limit=50&key=batch"],
    ["API: model + status 429", "/admin/api/audit?limit=50&model=claude-sonnet&status=429"],
    ["API: last hour", `/admin/api/audit?limit=50&from=${Date.now() - 3_600_000}`],
    ["API: stats 24h", "/admin/api/stats?window=24h"],
  ] as const) {
    results.push([label, await timed(api(path))]);
  }

  const page = await browser.newPage({ width: 1280, height: 900 });
  await page.goto(`${gw.url}/admin/`);
  await page.getByLabel("Admin key").fill(key);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.getByRole("heading", { name: "Overview" }).waitFor();
  results.push([
    "Browser: Requests page, navigation to first rows",
    await timed(async () => {
      await page.goto(`${gw.url}/admin/requests`);
      await page.locator("table.requests tbody tr").first().waitFor();
    }),
  ]);
  results.push([
    "Browser: filter (model + 5xx) to rows",
    await timed(async () => {
      await page.goto(`${gw.url}/admin/requests`);
      await page.locator("table.requests tbody tr").first().waitFor();
      await page.getByLabel("Model").fill("gpt-4o-mini");
      await page.getByLabel("Status").selectOption("5xx");
      const start = performance.now();
      await page.getByRole("button", { name: "Apply" }).click();
      await page.locator("table.requests tbody tr td:nth-child(2)", { hasText: "502" }).first().waitFor();
      return performance.now() - start;
    }),
  ]);
  results.push([
    "Browser: Load older (50 more rows)",
    await timed(async () => {
      await page.goto(`${gw.url}/admin/requests`);
      await page.locator("table.requests tbody tr").nth(49).waitFor();
      const start = performance.now();
      await page.getByRole("button", { name: "Load older" }).click();
      await page.locator("table.requests tbody tr").nth(99).waitFor();
      return performance.now() - start;
    }),
  ]);
  results.push([
    "Browser: Overview, navigation to charts",
    await timed(async () => {
      await page.goto(`${gw.url}/admin/overview`);
      await page.locator(".chart .uplot").first().waitFor();
    }),
  ]);
} finally {
  await browser.close();
  await gw.stop();
  dir.cleanup();
}
console.log(`\n| with ${ROWS.toLocaleString("en")} audit rows (median of ${RUNS}) | ms |\n| --- | ---: |`);
for (const [label, ms] of results) console.log(`| ${label} | ${ms.toFixed(1)} |`);
