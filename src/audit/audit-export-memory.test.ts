import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { childEnv } from "../testing/off-cloud-env.ts";
import { tempDir } from "./audit-fixture.ts";
import { buildLargeLog } from "./testing/large-log.ts";

const ROWS = 1_000_000;
const RSS_BOUND = 64 * 1024 * 1024;

const dir = tempDir();
const path = join(dir.path, "audit.db");
beforeAll(() => buildLargeLog(path, { rows: ROWS }), 120_000);
afterAll(() => dir.cleanup());

const PROBE = join(import.meta.dir, "testing/export-probe.ts");

for (const format of ["ndjson", "csv"] as const) {
  test(`exporting ${ROWS} rows as ${format} keeps memory within a bound`, async () => {
    // A fresh process per export: this file shares its process with every other test file.
    const probe = Bun.spawn(["bun", PROBE, path, format], {
      env: childEnv(),
      stdout: "pipe",
      stderr: "pipe",
    });
    const timer = setTimeout(() => probe.kill("SIGKILL"), 100_000);
    const [out, err, code] = await Promise.all([
      new Response(probe.stdout).text(),
      new Response(probe.stderr).text(),
      probe.exited,
    ]);
    clearTimeout(timer);
    expect(err).toBe("");
    expect(code).toBe(0);
    const { lines, growth } = JSON.parse(out) as { lines: number; growth: number };
    expect(lines).toBe(format === "csv" ? ROWS + 1 : ROWS);
    expect(growth).toBeLessThan(RSS_BOUND);
  }, 120_000);
}
