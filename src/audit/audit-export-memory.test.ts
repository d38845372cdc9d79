import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { prepareAuditDatabase } from "../storage/sqlite/audit-migrations.ts";
import { openDatabase } from "../storage/sqlite/open-database.ts";
import { tempDir } from "./audit-fixture.ts";

const ROWS = 1_000_000;
const RSS_BOUND = 64 * 1024 * 1024;

/** Builds the log inside SQLite in one statement: millions of rows in seconds. */
function buildLargeLog(path: string): void {
  const db = openDatabase(path);
  prepareAuditDatabase(db);
  db.run(
    `INSERT INTO audit_strings (id, value) VALUES (1, 'gpt-4o-mini'), (2, 'provider:openai'), (3, 'OpenAI/JS 7.0')`,
  );
  db.run(`INSERT INTO audit_principals (id, key_id, key_name, tenant, role, fingerprint)
          VALUES (1, 'key_1', 'ci', 'acme', 'user', 'fixture')`);
  db.run(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${ROWS})
    INSERT INTO audit_log (request_id, started_at, principal_id, front_door, model_id, route_id,
      upstream_model_id, status, error_class_id, stream, latency_ms, ttfb_ms, input_tokens,
      output_tokens, cost_usd, client_ip, user_agent_id)
    SELECT 'req_' || i, 1700000000000 + i, 1, 'chat', 1, 2, 1, 200, NULL, i % 2, 12.5, 3.5, 10, 20,
      0.0001, '127.0.0.1', 3 FROM n`);
  db.run("PRAGMA wal_checkpoint(TRUNCATE)");
  db.close();
}

const dir = tempDir();
const path = join(dir.path, "audit.db");
beforeAll(() => buildLargeLog(path), 120_000);
afterAll(() => dir.cleanup());

const PROBE = join(import.meta.dir, "testing/export-probe.ts");

for (const format of ["ndjson", "csv"] as const) {
  test(`exporting ${ROWS} rows as ${format} keeps memory within a bound`, async () => {
    // A fresh process per export: this file shares its process with every other test file.
    const probe = Bun.spawn(["bun", PROBE, path, format], { stdout: "pipe", stderr: "pipe" });
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
