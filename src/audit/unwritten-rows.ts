import { writeFileSync } from "node:fs";
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
 * SQLite database (`<storage.path>.unwritten-<time>.ndjson`), or for PostgreSQL (and an in-memory
 * database) in the working directory (`mindgw-audit-unwritten-<time>.ndjson`); then the system's
 * temp directory, for a disk that cannot take this file either. `maybeStored`: some rows were in a
 * write the stop stopped waiting for, and the name says so (`unwritten-maybe-stored`).
 */
export function unwrittenRowsPaths(storage: Config["storage"], at: Date, maybeStored = false): string[] {
  const time = at.toISOString().replaceAll(":", "-");
  const what = maybeStored ? "unwritten-maybe-stored" : "unwritten";
  const onDisk = storage.driver === "sqlite" && storage.path !== ":memory:" && storage.path !== "";
  const first = onDisk
    ? resolve(dirname(storage.path), `${basename(storage.path)}.${what}-${time}.ndjson`)
    : resolve(`mindgw-audit-${what}-${time}.ndjson`);
  return [first, join(tmpdir(), `mindgw-audit-${what}-${time}.ndjson`)];
}

/**
 * Writes the records as NDJSON, one record a line as `mindgw audit export` writes them, to the
 * first of `paths` that takes the file (created new, readable by its owner alone: rows may carry
 * bodies). Returns the path, or the last error when none did.
 */
export function saveUnwrittenRows(
  records: readonly AuditRecord[],
  paths: readonly string[],
): { path: string } | { error: unknown } {
  const text = records.map((record) => ndjsonLine(asExported(record))).join("");
  let error: unknown = new Error("nowhere to write");
  for (const path of paths)
    try {
      writeFileSync(path, text, { flag: "wx", mode: 0o600 });
      return { path };
    } catch (failed) {
      error = failed;
    }
  return { error };
}
