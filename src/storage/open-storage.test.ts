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
