import { prepareAuditDatabase } from "../../storage/sqlite/audit-migrations.ts";
import { openDatabase } from "../../storage/sqlite/open-database.ts";

export interface LargeLogOptions {
  rows: number;
  /** Arrival time of the first row (epoch ms); rows follow `stepMs` apart. */
  startMs?: number;
  stepMs?: number;
}

/**
 * Builds an audit log of `rows` rows inside SQLite in one statement (millions in seconds), for
 * tests and benchmarks that need a big log. Rows vary: four models and keys, one in 50 a 5xx,
 * one in 10 a 4xx, so filters have something to select.
 */
export function buildLargeLog(path: string, options: LargeLogOptions): void {
  const { rows, startMs = 1_700_000_000_000, stepMs = 1 } = options;
  const db = openDatabase(path);
  prepareAuditDatabase(db);
  db.run(`INSERT INTO audit_strings (id, value) VALUES (1, 'gpt-4o-mini'), (2, 'provider:openai'),
    (3, 'OpenAI/JS 7.0'), (4, 'claude-sonnet'), (5, 'llama-3.1-8b'), (6, 'qwen2.5-7b'), (7, 'upstream_error')`);
  db.run(`INSERT INTO audit_principals (id, key_id, key_name, tenant, role, fingerprint) VALUES
    (1, 'key_1', 'ci', 'acme', 'user', 'fixture-1'), (2, 'key_2', 'web', 'acme', 'user', 'fixture-2'),
    (3, 'key_3', 'batch', 'beta', 'user', 'fixture-3'), (4, 'key_4', 'ops', 'beta', 'admin', 'fixture-4')`);
  db.run(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${rows})
    INSERT INTO audit_log (request_id, started_at, principal_id, front_door, model_id, route_id,
      upstream_model_id, status, error_class_id, stream, latency_ms, ttfb_ms, input_tokens,
      output_tokens, cost_usd, client_ip, user_agent_id)
    SELECT 'req_' || i, ${startMs} + i * ${stepMs}, 1 + i % 4, 'chat', CASE i % 4 WHEN 0 THEN 1 WHEN 1 THEN 4 WHEN 2 THEN 5 ELSE 6 END,
      2, 1, CASE WHEN i % 50 = 0 THEN 502 WHEN i % 10 = 0 THEN 429 ELSE 200 END,
      CASE WHEN i % 50 = 0 THEN 7 ELSE NULL END, i % 2, 12.5 + i % 300, 3.5 + i % 40, 10, 20,
      0.0001, '127.0.0.1', 3 FROM n`);
  db.run("PRAGMA wal_checkpoint(TRUNCATE)");
  db.close();
}
