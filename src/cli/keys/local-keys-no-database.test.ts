import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseConfig } from "../../config/load-config.ts";
import { localKeys } from "./local-keys.ts";

// `keys -c` with no SQLite file at storage.path: only `keys create` may make one (the first key
// before any serve); list, show, revoke and the rest made an empty database to find nothing in
// (a wrong storage.path, or one edited under a running gateway), warning as if creating were meant.

const dir = mkdtempSync(join(tmpdir(), "mindgw-keys-no-database-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("a command that only reads or changes keys refuses a path with no database, making none", async () => {
  const path = join(dir, "missing.db");
  const config = parseConfig({ storage: { path } }, {});
  await expect(localKeys(config, false, { createsStore: false })).rejects.toThrow(
    `no database at ${path} (is storage.path right?)`,
  );
  expect(existsSync(path)).toBe(false);
});

test("keys create makes the database, and then every command finds it", async () => {
  const path = join(dir, "first.db");
  const config = parseConfig({ storage: { path } }, {});
  const creating = await localKeys(config, false, { createsStore: true });
  await creating.create({ name: "first-admin", role: "admin" });
  await creating.close();
  const listing = await localKeys(config, false, { createsStore: false });
  try {
    expect(await listing.show("first-admin")).toMatchObject({ name: "first-admin" });
  } finally {
    await listing.close();
  }
});
