import { afterEach, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { ndjsonLine } from "../audit/audit-export.ts";
import { makeRecord, tempDir } from "../audit/audit-fixture.ts";
import { parseConfig } from "../config/load-config.ts";
import { openSqliteStorage } from "../storage/sqlite/sqlite-storage.ts";
import { readOnlyPath } from "../testing/read-only-path.ts";
import { importRows } from "./audit/import-rows.ts";
import { localKeys } from "./keys/local-keys.ts";

// SQLite's words for a write the file refuses (`attempt to write a readonly database`, `disk I/O
// error` on a full disk) name no file: the commands that write the config's file put it first.

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

/**
 * A store `keys create -c` made (`served`: and a gateway served, its audit tables made), then
 * made read-only (to root too, as a read-only mount is: testing/read-only-path.ts).
 */
async function frozenStore(served = false) {
  const dir = tempDir();
  cleanups.push(dir.cleanup);
  const path = join(dir.path, "mindgw.db");
  const config = parseConfig({ storage: { path } }, {});
  const keys = await localKeys(config, false, { createsStore: true });
  await keys.create({ name: "first-admin", role: "admin" });
  await keys.close();
  if (served) {
    const storage = openSqliteStorage(path);
    await storage.audit.insert([makeRecord({ requestId: "served" })]);
    await storage.close();
  }
  cleanups.push(readOnlyPath(path));
  return { dir, path, config };
}

test("keys create -c on a database it may not write: the error names storage.path and the file", async () => {
  const { path, config } = await frozenStore();
  const keys = await localKeys(config, false, { createsStore: true });
  try {
    await expect(keys.create({ name: "second", role: "user" })).rejects.toThrow(
      `storage.path ${path}: attempt to write a readonly database`,
    );
  } finally {
    await keys.close();
  }
});

test("audit import on a database it may not write: the error names storage.path and the file", async () => {
  const write = process.stdout.write;
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    for (const [served, failed] of [
      [false, "migration audit@1 failed: attempt to write a readonly database"],
      [true, "attempt to write a readonly database"],
    ] as const) {
      const { dir, path, config } = await frozenStore(served);
      const file = join(dir.path, "rows.ndjson");
      writeFileSync(file, ndjsonLine(makeRecord({ requestId: "r1" })));
      await expect(
        importRows(file, config, { spend: false, spendStored: false, skipBad: false }),
      ).rejects.toThrow(`storage.path ${path}: ${failed}`);
    }
  } finally {
    process.stdout.write = write;
  }
});
