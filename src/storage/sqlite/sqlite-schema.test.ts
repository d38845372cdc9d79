import { Database } from "bun:sqlite";
import { afterAll, expect, test } from "bun:test";
import { prepareAuditDatabase } from "./audit-migrations.ts";
import { SQLITE_SCHEMA } from "./sqlite-schema.ts";
import { openSqliteStorage } from "./sqlite-storage.ts";
import { tempDir } from "./test-helpers.ts";

const tmp = tempDir();
afterAll(() => tmp.cleanup());

test("SQLITE_SCHEMA names every component opening the store migrates, at its latest version (what a command checks before it opens one)", async () => {
  const path = tmp.file("fresh.db");
  const storage = openSqliteStorage(path);
  // The audit component is migrated at the log's first read or write.
  prepareAuditDatabase(storage.db);
  await storage.close();
  const db = new Database(path, { readonly: true });
  try {
    const rows = db
      .query<{ component: string; v: number }, []>(
        "SELECT component, max(version) AS v FROM schema_migrations GROUP BY component ORDER BY component",
      )
      .all()
      // A backfill's mark of being done, not a schema step.
      .filter((row) => row.component !== "responses.item_index");
    const expected = Object.entries(SQLITE_SCHEMA)
      .map(([component, steps]) => ({ component, v: steps.at(-1)?.version ?? 0 }))
      .sort((a, b) => a.component.localeCompare(b.component));
    expect(rows).toEqual(expected);
  } finally {
    db.close();
  }
});
