import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseConfig } from "../config/load-config.ts";
import { openStorage } from "./open-storage.ts";

const dir = mkdtempSync(join(tmpdir(), "mindgw-open-storage-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("a SQLite store that cannot be created names storage.path, the path and the reason", async () => {
  // A file where the store's folder should be: its folder cannot be made, whoever runs this.
  writeFileSync(join(dir, "data"), "");
  const path = join(dir, "data", "mindgw.db");
  const storage = parseConfig({ storage: { path } }, {}).storage;
  const opened = openStorage(storage);
  await expect(opened).rejects.toThrow(`storage.path: cannot create or open ${path}: `);
  await expect(opened).rejects.toThrow(/EEXIST|ENOTDIR/);
  await expect(opened).rejects.toThrow("a relative storage.path is read from the config file's folder");
});

test("one that can is opened", async () => {
  const storage = await openStorage(
    parseConfig({ storage: { path: join(dir, "store", "mindgw.db") } }, {}).storage,
  );
  expect(await storage.keys.list({})).toEqual([]);
  await storage.close();
});

test("a file that is no database is told as it is: storage.path named once, no hint about folders", async () => {
  const path = join(dir, "not-a-db.db");
  writeFileSync(path, "this is no SQLite file, but long enough to be read as one".repeat(20));
  const failure = await openStorage(parseConfig({ storage: { path } }, {}).storage).catch((e: unknown) => e);
  const message = String((failure as Error).message);
  expect(message).toContain(`storage.path ${path}: file is not a database`);
  expect(message.match(/storage\.path/g)).toHaveLength(1);
  expect(message).not.toContain("must be writable");
});
