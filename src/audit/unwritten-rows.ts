import { rmSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import type { Config } from "../config/config-schema.ts";
import { ndjsonLine } from "./audit-export.ts";
import type { AuditRecord } from "./audit-record.ts";

/** Fields a stored row leaves out when empty (audit-select.ts `rowToRecord`): so too here. */
const OPTIONAL = [
  "errorMessage",
  "dropped",
  "attempts",
  "node",
  "servedNode",
  "requestBody",
  "responseBody",
] as const;

/** A record as an export of its row would print it: its optional fields only when set. */
function asExported(record: AuditRecord): AuditRecord {
  if (OPTIONAL.every((field) => record[field] != null || !(field in record))) return record;
  const copy: Record<string, unknown> = { ...record };
  for (const field of OPTIONAL) if (copy[field] == null) delete copy[field];
  return copy as unknown as AuditRecord;
}

/**
 * Where a stop saves the audit records its storage never took, first choice first: beside the
 * SQLite database (`<storage.path>.unwritten-<time>.ndjson`); the working directory
 * (`mindgw-audit-unwritten-<time>.ndjson`: with PostgreSQL or an in-memory database the first
 * choice, and under systemd /var/lib/mindgw, which outlives the unit); then the system's temp
 * directory, the last file: systemd's PrivateTmp deletes it at stop. `maybeStored`: some rows were
 * in a write the stop stopped waiting for, and the name says so (`unwritten-maybe-stored`).
 */
export function unwrittenRowsPaths(storage: Config["storage"], at: Date, maybeStored = false): string[] {
  const time = at.toISOString().replaceAll(":", "-");
  const what = maybeStored ? "unwritten-maybe-stored" : "unwritten";
  const onDisk = storage.driver === "sqlite" && storage.path !== ":memory:" && storage.path !== "";
  const paths = [
    ...(onDisk ? [resolve(dirname(storage.path), `${basename(storage.path)}.${what}-${time}.ndjson`)] : []),
    resolve(`mindgw-audit-${what}-${time}.ndjson`),
    join(tmpdir(), `mindgw-audit-${what}-${time}.ndjson`),
  ];
  return [...new Set(paths)];
}

/** The lines around the rows when no file took them (`saveUnwrittenRows`), for finding them in the journal. */
export const STDERR_ROWS_BEGIN = "mindgw: audit rows no file took follow, as NDJSON, up to the line below";
export const STDERR_ROWS_END = "mindgw: end of the audit rows no file took";

/** Where the rows went: a file (`temporary`: the temp directory's, gone at the next clean), or stderr. */
export type SavedRows =
  | { readonly path: string; readonly temporary: boolean }
  | { readonly stderr: true; readonly error: unknown };

/**
 * Writes the records as NDJSON, one record a line as `mindgw audit export` writes them, to the
 * first of `paths` that takes the whole file (created new, readable by its owner alone: rows may
 * carry bodies; a file left short by a full disk is removed). When none does, to `stderr` (the
 * journal under systemd) between `STDERR_ROWS_BEGIN` and `STDERR_ROWS_END`: the last copy there is.
 */
export function saveUnwrittenRows(
  records: readonly AuditRecord[],
  paths: readonly string[],
  stderr: (text: string) => void = (text) => writeSync(2, text),
): SavedRows {
  const text = records.map((record) => ndjsonLine(asExported(record))).join("");
  let error: unknown = new Error("nowhere to write");
  for (const path of paths)
    try {
      writeFileSync(path, text, { flag: "wx", mode: 0o600 });
      return { path, temporary: resolve(dirname(path)) === resolve(tmpdir()) };
    } catch (failed) {
      error = failed;
      // "wx" failed on a file already there, which is not ours; any other failure left ours short.
      if ((failed as NodeJS.ErrnoException).code !== "EEXIST") removeShortFile(path);
    }
  stderr(`${STDERR_ROWS_BEGIN}\n${text}${STDERR_ROWS_END}\n`);
  return { stderr: true, error };
}

function removeShortFile(path: string): void {
  try {
    rmSync(path, { force: true });
  } catch {
    // Never created (its folder cannot be read): nothing to remove.
  }
}
