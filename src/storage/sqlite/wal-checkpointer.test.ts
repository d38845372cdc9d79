import { expect, test } from "bun:test";
import { statSync } from "node:fs";
import { join } from "node:path";
import { makeRecord, tempDir } from "../../audit/audit-fixture.ts";
import { AuditInserter } from "./audit-inserter.ts";
import { prepareAuditDatabase } from "./audit-migrations.ts";
import { openDatabase } from "./open-database.ts";
import { WalCheckpointer } from "./wal-checkpointer.ts";

test("PASSIVE never waits on a long reader; TRUNCATE when idle empties the WAL once it is gone", () => {
  const dir = tempDir();
  try {
    const path = join(dir.path, "audit.db");
    const db = openDatabase(path);
    prepareAuditDatabase(db);
    const inserter = new AuditInserter(db);
    const reader = openDatabase(path);
    reader.run("BEGIN");
    reader.query("SELECT count(*) FROM audit_log").get(); // holds its snapshot
    for (let i = 0; i < 20; i++) inserter.insertBatch(Array.from({ length: 100 }, () => makeRecord()));
    let idle = false;
    const checkpointer = new WalCheckpointer(db, { isIdle: () => idle });
    const passive = checkpointer.checkpoint();
    expect(passive.mode).toBe("PASSIVE");
    expect(passive.checkpointed).toBeLessThan(passive.log);
    idle = true;
    const blocked = checkpointer.checkpoint();
    expect(blocked).toMatchObject({ mode: "TRUNCATE", busy: 1 });
    expect(db.query<{ timeout: number }, []>("PRAGMA busy_timeout").get()!.timeout).toBe(5000);
    reader.run("COMMIT");
    expect(checkpointer.checkpoint()).toMatchObject({ mode: "TRUNCATE", busy: 0 });
    expect(statSync(`${path}-wal`).size).toBe(0);
    inserter.finalize();
    reader.close();
    db.close();
  } finally {
    dir.cleanup();
  }
});
