import { Database } from "bun:sqlite";
import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseConfig } from "../../config/load-config.ts";
import { AUDIT_MIGRATIONS, MIN_READ_AUDIT_SCHEMA } from "../../storage/sqlite/audit-migrations.ts";
import { writeVersionOneDatabase } from "../../storage/sqlite/fixtures/version-one-database.ts";
import { migrate } from "../../storage/sqlite/migrate.ts";
import { openSqliteStorage } from "../../storage/sqlite/sqlite-storage.ts";
import { localKeys } from "../keys/local-keys.ts";
import { openReadOnlyAudit } from "./read-only-audit.ts";

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const step of cleanup.splice(0)) step();
});

test("a store only `keys create -c` has touched reads as an empty log, and is left as it was", async () => {
  const dir = mkdtempSync(join(tmpdir(), "mindgw-read-only-audit-"));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, "gw.db");
  // What `mindgw keys create -c` does before any `serve`: the key tables, no audit tables.
  const keys = await localKeys(parseConfig({ storage: { path } }, {}), false, { createsStore: true });
  await keys.create({ name: "first-admin", role: "admin" });
  await keys.close();
  const before = readFileSync(path);

  const audit = openReadOnlyAudit(path);
  try {
    expect(await audit.store.select({ order: "desc", bodies: false }, null, 10)).toEqual([]);
  } finally {
    audit.close();
  }
  expect(readFileSync(path).equals(before)).toBe(true);
});

test("no file at all is the user's mistake, said in one line", () => {
  expect(() => openReadOnlyAudit("/nonexistent/mindgw.db")).toThrow(
    "no database at /nonexistent/mindgw.db (is storage.path right?)",
  );
});

test("a database an older mindgw left (every component at v1) is refused in words, until `serve` has migrated it", async () => {
  const dir = mkdtempSync(join(tmpdir(), "mindgw-read-only-audit-"));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, "gw.db");
  writeVersionOneDatabase(path, 1_700_000_000_000);
  const before = readFileSync(path);

  const old = openReadOnlyAudit(path);
  try {
    // It read `no such column: l.error_message`.
    await expect(old.store.select({ order: "desc", bodies: false }, null, 10)).rejects.toThrow(
      `the database's audit schema is v1, this mindgw reads v${MIN_READ_AUDIT_SCHEMA} or later: start \`mindgw serve\` once to migrate it`,
    );
  } finally {
    old.close();
  }
  expect(readFileSync(path).equals(before)).toBe(true);

  // What `serve` does at start: its storage, and the audit writer's first probe.
  const served = openSqliteStorage(path);
  await served.audit.probe();
  await served.close();
  const migrated = openReadOnlyAudit(path);
  try {
    const rows = await migrated.store.select({ order: "desc", bodies: false }, null, 10);
    expect(rows.map((row) => row.record.requestId)).toEqual(["old-1"]);
  } finally {
    migrated.close();
  }
});

test("the previous release's audit schema (v7) reads as it is: a read does without what the later migrations add (the app: none)", async () => {
  const dir = mkdtempSync(join(tmpdir(), "mindgw-read-only-audit-"));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, "gw.db");
  const db = new Database(path, { create: true, strict: true });
  migrate(
    db,
    "audit",
    AUDIT_MIGRATIONS.filter((step) => step.version <= 7),
  );
  db.run(`INSERT INTO audit_log (request_id, started_at, front_door, status, stream, latency_ms, input_tokens,
    output_tokens, cost_usd) VALUES ('old-7', 1, 'chat', 200, 0, 1.5, 0, 0, 0)`);
  db.close();
  const before = readFileSync(path);
  const audit = openReadOnlyAudit(path);
  try {
    const [row] = await audit.store.select({ order: "desc", bodies: false }, null, 10);
    expect(row?.record).toMatchObject({ requestId: "old-7", status: 200 });
    expect(row?.record).not.toHaveProperty("app");
    // No row of it came through an app.
    expect(await audit.store.select({ order: "desc", bodies: false, app: "team-a" }, null, 10)).toEqual([]);
  } finally {
    audit.close();
  }
  expect(readFileSync(path).equals(before)).toBe(true);
});
