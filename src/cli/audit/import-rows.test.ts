import { afterEach, expect, test } from "bun:test";
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ndjsonLine } from "../../audit/audit-export.ts";
import { makeRecord, tempDir } from "../../audit/audit-fixture.ts";
import type { AuditRecord } from "../../audit/audit-record.ts";
import { callerSubject } from "../../auth/principal.ts";
import { parseConfig } from "../../config/load-config.ts";
import { openSqliteStorage } from "../../storage/sqlite/sqlite-storage.ts";
import { keyRecord } from "../../testing/key-record.ts";
import { UsageError } from "../exit-code.ts";
import { importRows } from "./import-rows.ts";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

/** What the command printed, `process.stdout` taken for the call. */
async function printed(run: () => Promise<void>): Promise<string> {
  const write = process.stdout.write;
  let out = "";
  process.stdout.write = ((chunk: string) => {
    out += chunk;
    return true;
  }) as typeof process.stdout.write;
  try {
    await run();
  } finally {
    process.stdout.write = write;
  }
  return out;
}

const rows = Array.from({ length: 4 }, (_, i) =>
  makeRecord({ requestId: `r${i}`, startedAt: 1_700_000_000_000 + i * 1000, costUsd: 0.25 }),
);

/**
 * A database in a temp dir holding `stored` of the rows already, and the rows written as the
 * file `name` beside it (a stop's, a side file's, a renamed one's name): what each test imports.
 */
async function imported(name: string, stored: readonly AuditRecord[]) {
  const dir = tempDir();
  cleanups.push(dir.cleanup);
  const config = parseConfig({ storage: { driver: "sqlite", path: join(dir.path, "mindgw.db") } });
  const storage = openSqliteStorage(join(dir.path, "mindgw.db"));
  if (stored.length > 0) await storage.audit.insert(stored);
  await storage.close();
  const file = join(dir.path, name);
  writeFileSync(file, rows.map(ndjsonLine).join(""));
  return { dir, config, file };
}

test("rows a stop's own write stored are said as possibly owed, saved beside the file; --spend-stored adds their cost, once", async () => {
  // The write the stop stopped waiting for stored two rows; its spend flush failed: no spend.
  const { dir, config, file } = await imported("mindgw.db.unwritten-maybe-stored-x.ndjson", rows.slice(0, 2));
  const subject = callerSubject("key_1", "acme", "ci");
  const spent = async () => {
    const storage = openSqliteStorage(join(dir.path, "mindgw.db"));
    try {
      return await storage.spend.total(subject);
    } finally {
      await storage.close();
    }
  };

  const out = await printed(() =>
    importRows(file, config, { spend: true, spendStored: false, skipBad: false }),
  );
  expect(out).toStartWith(
    "imported 2 rows, 2 already stored; their cost, $0.5000, added to 1 spend total\npossibly owed: $0.5000, the cost of the 2 rows already stored, not added:",
  );
  expect(await spent()).toBeCloseTo(0.5, 9);
  const side = out.match(/to add it: mindgw audit import (\S+) --spend-stored/)?.[1] as string;
  expect(readdirSync(dir.path)).toContain(side.slice(dir.path.length + 1));

  const added = await printed(() =>
    importRows(side, config, { spend: true, spendStored: true, skipBad: false }),
  );
  expect(added).toBe(
    "imported 0 rows, 2 already stored; their cost and the stored rows', $0.5000, added to 1 spend total\n",
  );
  expect(await spent()).toBeCloseTo(1, 9);
});

test("with --no-spend nothing is said owed and nothing saved", async () => {
  const { dir, config, file } = await imported("rows.ndjson", rows);
  const out = await printed(() =>
    importRows(file, config, { spend: false, spendStored: false, skipBad: false }),
  );
  expect(out).toBe("imported 0 rows, 4 already stored; spend not added (--no-spend)\n");
  expect(readdirSync(dir.path).filter((name) => name.includes("already-stored"))).toEqual([]);
});

test("importing an ordinary file again says its rows were imported before: nothing to add, nothing saved", async () => {
  // Named as a stop names the rows no write of it had begun (unwritten-rows.ts).
  const { dir, config, file } = await imported("mindgw.db.unwritten-2026-12-05T04-22-03.357Z.ndjson", []);
  const options = { spend: true, spendStored: false, skipBad: false };
  expect(await printed(() => importRows(file, config, options))).toBe(
    "imported 4 rows, 0 already stored; their cost, $1.0000, added to 1 spend total\n",
  );
  expect(await printed(() => importRows(file, config, options))).toBe(
    "imported 0 rows, 4 already stored; no spend to add\n4 rows already stored (imported before): nothing to add\n",
  );
  expect(readdirSync(dir.path).filter((name) => name.includes("already-stored"))).toEqual([]);
});

test("an input that cannot say where it came from (renamed, standard input) is read as maybe stored", async () => {
  const { config, file } = await imported("rows-from-the-journal.ndjson", rows);
  const out = await printed(() =>
    importRows(file, config, { spend: true, spendStored: false, skipBad: false }),
  );
  expect(out).toContain("possibly owed: $1.0000");
  expect(out).toContain("--spend-stored");
});

test("a side file imported without --spend-stored names itself to add from, and saves no other", async () => {
  const { dir, config, file } = await imported(
    "mindgw.db.unwritten-maybe-stored-x.ndjson.already-stored-y.ndjson",
    rows,
  );
  const out = await printed(() =>
    importRows(file, config, { spend: true, spendStored: false, skipBad: false }),
  );
  expect(out).toEndWith(`; to add it: mindgw audit import ${file} --spend-stored (with this -c)\n`);
  expect(readdirSync(dir.path).filter((name) => name.includes("already-stored"))).toEqual([
    "mindgw.db.unwritten-maybe-stored-x.ndjson.already-stored-y.ndjson",
  ]);
});

test("a rotated key's rows add their cost to its chain's total, never under the key's own id", async () => {
  const { dir, config, file } = await imported("mindgw.db.unwritten-2026-12-05T04-22-03.357Z.ndjson", []);
  const path = join(dir.path, "mindgw.db");
  const before = openSqliteStorage(path);
  // key_1, the rows' key, is the rotation of key_0.
  await before.keys.create(keyRecord({ id: "key_0", hash: "a".padStart(64, "0"), name: "ci" }));
  await before.keys.create(
    keyRecord({ id: "key_1", hash: "b".padStart(64, "0"), name: "ci", chain: "key_0" }),
  );
  await before.close();
  expect(
    await printed(() => importRows(file, config, { spend: true, spendStored: false, skipBad: false })),
  ).toBe("imported 4 rows, 0 already stored; their cost, $1.0000, added to 1 spend total\n");
  const after = openSqliteStorage(path);
  try {
    expect(await after.spend.total("key_0")).toBeCloseTo(1, 9);
    expect(await after.spend.total("key_1")).toBe(0);
  } finally {
    await after.close();
  }
});

test("a folder given as the file: a usage error naming it, before the store is opened", async () => {
  const { dir, config } = await imported("rows.ndjson", []);
  const importing = importRows(dir.path, config, { spend: true, spendStored: false, skipBad: false });
  // It said `Directories cannot be read like files`, naming nothing, exit 1.
  await expect(importing).rejects.toBeInstanceOf(UsageError);
  await expect(importing).rejects.toThrow(`${dir.path}: a folder, not a file of audit rows`);
});

test("an empty file name (an unset `$FILE`): a usage error saying so, before the store is opened", async () => {
  const { config } = await imported("rows.ndjson", []);
  for (const file of ["", "  "]) {
    const importing = importRows(file, config, { spend: true, spendStored: false, skipBad: false });
    // It said `: no such file`, naming nothing.
    await expect(importing).rejects.toBeInstanceOf(UsageError);
    await expect(importing).rejects.toThrow(
      "the file name is empty: name the file of audit rows to import (or - for standard input)",
    );
  }
});
