import { rmSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import type { Config } from "../config/config-schema.ts";
import { printableJson } from "../core/printable.ts";
import type { LogFormat } from "../log/logger.ts";
import { ndjsonLine } from "./audit-export.ts";
import type { AuditRecord } from "./audit-record.ts";

/** Fields a stored row leaves out when empty (storage/audit-row.ts `toAuditRecord`): so too here. */
const OPTIONAL = [
  "errorMessage",
  "dropped",
  "attempts",
  "node",
  "servedNode",
  "app",
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
 * Where a stop may save the rows first: beside the gateway's own SQLite database (`beside`: the
 * config's storage), or in a folder the embedder named (`dir`: `GatewayOptions.auditSpillDir`);
 * neither for an embedder's own storage without one (no file of ours beside a path it never used).
 */
export type UnwrittenRowsPlace = { readonly beside: Config["storage"] } | { readonly dir?: string };

/** `audit.unwritten_rows`: `file` (the places below, then stderr) or `stderr` alone. */
export type UnwrittenRowsTo = Config["audit"]["unwritten_rows"];

/**
 * Where a stop saves the audit records its storage never took, first choice first: none with
 * `audit.unwritten_rows: stderr` (a container's working directory dies with its pod, its log does
 * not; `saveUnwrittenRows` then writes them to stderr); else the place's
 * own (beside the SQLite database, `<storage.path>.unwritten-<time>.ndjson`, or the embedder's
 * folder); the working directory (`mindgw-audit-unwritten-<time>.ndjson`: with PostgreSQL or an
 * in-memory database the first choice, and under systemd /var/lib/mindgw, which outlives the
 * unit); then the system's temp directory, the last file: systemd's PrivateTmp deletes it at stop.
 * `maybeStored`: some rows were in a write the stop stopped waiting for, and the name says so
 * (`unwritten-maybe-stored`).
 */
export function unwrittenRowsPaths(
  place: UnwrittenRowsPlace,
  at: Date,
  maybeStored = false,
  to: UnwrittenRowsTo = "file",
): string[] {
  if (to === "stderr") return [];
  const time = at.toISOString().replaceAll(":", "-");
  const what = maybeStored ? "unwritten-maybe-stored" : "unwritten";
  const named = `mindgw-audit-${what}-${time}.ndjson`;
  const paths = [...firstPath(place, `${what}-${time}`, named), resolve(named), join(tmpdir(), named)];
  return [...new Set(paths)];
}

/** The place's own path, if it has one. */
function firstPath(place: UnwrittenRowsPlace, suffix: string, named: string): string[] {
  if (!("beside" in place)) return place.dir === undefined ? [] : [resolve(place.dir, named)];
  const storage = place.beside;
  const onDisk = storage.driver === "sqlite" && storage.path !== ":memory:" && storage.path !== "";
  return onDisk ? [resolve(dirname(storage.path), `${basename(storage.path)}.${suffix}.ndjson`)] : [];
}

/** The lines around the rows when no file took them (`saveUnwrittenRows`), for finding them in the journal. */
export const STDERR_ROWS_BEGIN = "mindgw: audit rows no file took follow, as NDJSON, up to the line below";
export const STDERR_ROWS_END = "mindgw: end of the audit rows no file took";

/**
 * The one key of each row's line on stderr, `{"mindgw_unwritten_audit_row":{…}}`: a row is a JSON
 * object a log shipper would take for a log record (its fields, bodies too, indexed as a line's);
 * wrapped, it is plainly no log line, and `mindgw audit import` unwraps it (read-audit-ndjson.ts).
 */
export const STDERR_ROW_KEY = "mindgw_unwritten_audit_row";

/**
 * Where the rows went: a file (`temporary`: the temp directory's, gone at the next clean), or
 * stderr (`error`: why the last file refused them; undefined when no file was to be tried).
 */
export type SavedRows =
  | { readonly path: string; readonly temporary: boolean }
  | { readonly stderr: true; readonly error: unknown };

/**
 * Writes the records as NDJSON, one record a line as `mindgw audit export` writes them, to the
 * first of `paths` that takes the whole file (created new, readable by its owner alone: rows may
 * carry bodies; a file left short by a full disk is removed). When none does (or none is given:
 * `audit.unwritten_rows: stderr`), to `stderr` (the journal under systemd, a container's log)
 * between `STDERR_ROWS_BEGIN` and `STDERR_ROWS_END` (as JSON log lines in `format` json), each row
 * wrapped (`STDERR_ROW_KEY`).
 */
export function saveUnwrittenRows(
  records: readonly AuditRecord[],
  paths: readonly string[],
  stderr: (text: string) => void = (text) => writeSync(2, text),
  format: LogFormat = "text",
): SavedRows {
  const text = records.map((record) => ndjsonLine(asExported(record))).join("");
  let error: unknown;
  for (const path of paths)
    try {
      writeFileSync(path, text, { flag: "wx", mode: 0o600 });
      return { path, temporary: resolve(dirname(path)) === resolve(tmpdir()) };
    } catch (failed) {
      error = failed;
      // "wx" failed on a file already there, which is not ours; any other failure left ours short.
      if ((failed as NodeJS.ErrnoException).code !== "EEXIST") removeShortFile(path);
    }
  const lines = records.map((record) => `${printableJson({ [STDERR_ROW_KEY]: asExported(record) })}\n`);
  stderr(`${marker(STDERR_ROWS_BEGIN, format)}${lines.join("")}${marker(STDERR_ROWS_END, format)}`);
  return { stderr: true, error };
}

/**
 * A marker line in the log's format: with `log.format: json` a warning's JSON line (its `msg` the
 * marker's words, which `mindgw audit import` looks for), so a JSON pipeline reads every line.
 */
const marker = (words: string, format: LogFormat): string =>
  format === "json"
    ? `${JSON.stringify({ time: new Date().toISOString(), level: "warn", msg: words })}\n`
    : `${words}\n`;

function removeShortFile(path: string): void {
  try {
    rmSync(path, { force: true });
  } catch {
    // Never created (its folder cannot be read): nothing to remove.
  }
}
