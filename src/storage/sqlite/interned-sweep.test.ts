import { afterAll, expect, test } from "bun:test";
import { makeRecord } from "../../audit/audit-fixture.ts";
import { AUDIT_MIGRATIONS } from "./audit-migrations.ts";
import { RESTAMP_ROWS } from "./interned-stamps.ts";
import { migrate } from "./migrate.ts";
import { closeDatabase, openDatabase } from "./open-database.ts";
import { createSqliteAuditStore } from "./sqlite-audit-store.ts";
import { tempDir } from "./test-helpers.ts";

const tmp = tempDir();
afterAll(tmp.cleanup);

const values = (path: string) => {
  const db = openDatabase(path, { readonly: true });
  try {
    return db
      .query<{ value: string }, []>("SELECT value FROM audit_strings ORDER BY value")
      .all()
      .map((row) => row.value);
  } finally {
    db.close();
  }
};

test("a database from before the sweep (audit v7): values its pruned rows left behind go, those of its rows stay until they do", async () => {
  const path = tmp.file("v7.db");
  const old = openDatabase(path);
  migrate(old, "audit", AUDIT_MIGRATIONS.slice(0, 7));
  // What retention left before: user agents of rows long deleted, and one row with its own.
  old.run("INSERT INTO audit_strings (value) VALUES ('orphan-1'), ('orphan-2'), ('in-use')");
  old.run(`INSERT INTO audit_log (request_id, started_at, front_door, status, stream, latency_ms,
    input_tokens, output_tokens, cost_usd, user_agent_id)
    VALUES ('kept', 1, 'chat', 200, 0, 1, 0, 0, 0, (SELECT id FROM audit_strings WHERE value = 'in-use'))`);
  closeDatabase(old);

  const store = createSqliteAuditStore({ database: () => openDatabase(path) });
  await store.insert([makeRecord({ requestId: "new", startedAt: 2, userAgent: "new-agent" })]);
  // Every value there before the upgrade counts as the newest row's until then: none is lost while
  // a row may refer to it, and all go once those rows have.
  expect(await store.sweep(100)).toBe(0);
  expect(await store.prune(2, 100)).toBe(1);
  expect(await store.sweep(100)).toBe(3);
  expect(values(path)).toEqual(["gpt-4o-mini", "gpt-4o-mini-2024-07-18", "new-agent", "provider:openai"]);
  await store.close();
});

test("the sweep deletes at most its limit, strings first, then callers", async () => {
  const path = tmp.file("limit.db");
  const store = createSqliteAuditStore({ database: () => openDatabase(path) });
  await store.insert(
    Array.from({ length: 5 }, (_, i) =>
      makeRecord({ startedAt: 1, userAgent: `ua-${i}`, keyName: `sub-${i}` }),
    ),
  );
  expect(await store.prune(2, 100)).toBe(5);
  // 5 user agents, 3 route/model strings, 5 callers.
  expect(await store.sweep(4)).toBe(4);
  expect(await store.sweep(100)).toBe(9);
  expect(await store.sweep(100)).toBe(0);
  expect(values(path)).toEqual([]);
  await store.close();
});

test("a value used again after RESTAMP_ROWS rows is stamped again, and kept while that row is", async () => {
  const path = tmp.file("restamp.db");
  const store = createSqliteAuditStore({ database: () => openDatabase(path) });
  await store.insert([makeRecord({ startedAt: 1, userAgent: "returning" })]);
  for (let batch = 0; batch < RESTAMP_ROWS / 1000; batch++)
    await store.insert(Array.from({ length: 1000 }, () => makeRecord({ startedAt: 1, userAgent: "other" })));
  await store.insert([makeRecord({ requestId: "last", startedAt: 2, userAgent: "returning" })]);
  expect(await store.prune(2, RESTAMP_ROWS + 1)).toBe(RESTAMP_ROWS + 1);
  expect(await store.sweep(100)).toBe(1);
  expect(values(path)).toEqual(["gpt-4o-mini", "gpt-4o-mini-2024-07-18", "provider:openai", "returning"]);
  await store.close();
});
