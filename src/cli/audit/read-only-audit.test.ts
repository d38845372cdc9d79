import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseConfig } from "../../config/load-config.ts";
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
  const keys = await localKeys(parseConfig({ storage: { path } }, {}));
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
