import { existsSync } from "node:fs";
import { type AuditImport, importAudit } from "../../audit/import-audit.ts";
import {
  type AuditLines,
  type BadAuditLine,
  listBadLines,
  readAuditLines,
} from "../../audit/read-audit-ndjson.ts";
import type { Config } from "../../config/config-schema.ts";
import { readFailure } from "../../config/read-failure.ts";
import { messageOf } from "../../core/describe-error.ts";
import type { Storage } from "../../storage/storage.ts";
import { namingStorage, openConfigStore } from "../config-store.ts";
import { dollars } from "../dollars.ts";
import { UsageError } from "../exit-code.ts";
import { keyChains, spendOf } from "./import-spend.ts";
import { possiblyOwed } from "./possibly-owed.ts";

export interface ImportOptions {
  /** Add the imported rows' cost to the spend totals (`--no-spend`: the stop wrote the spend). */
  readonly spend: boolean;
  /**
   * Add the cost of the rows already stored as well (`--spend-stored`): rows the stop's own write
   * stored, whose spend its failed flush never wrote (possibly-owed.ts).
   */
  readonly spendStored: boolean;
  /** `--migrate`: migrate a database at an older schema first (config-store.ts). */
  readonly migrate?: boolean;
  /**
   * Import the good lines and list the bad ones (`--skip-bad`), the command failing still: a
   * journal excerpt, the last copy of its rows, with a row journald split in pieces.
   */
  readonly skipBad: boolean;
}

/** The text of `file`, or of stdin for `-` (a journal excerpt piped in). */
async function readInput(file: string): Promise<string> {
  if (file === "-") return await new Response(Bun.stdin.stream()).text();
  // `audit import "$FILE"` with the variable unset: it said `: no such file`, naming nothing.
  if (file.trim() === "")
    throw new UsageError(
      "the file name is empty: name the file of audit rows to import (or - for standard input)",
    );
  if (!existsSync(file)) throw new UsageError(`${file}: no such file`);
  try {
    return await Bun.file(file).text();
  } catch (error) {
    // Bun's words name no file (`Directories cannot be read like files`).
    const reason = readFailure(error);
    throw new UsageError(
      `${file}: ${reason === "it is a directory" ? "a folder, not a file of audit rows" : reason}`,
    );
  }
}

/**
 * `mindgw audit import FILE`: every line checked first (a bad one names its line and imports
 * nothing, unless `--skip-bad`: then the good ones go in and the bad ones are named), then the
 * rows the log lacks stored in one transaction, and their cost added to the spend totals once
 * (import-spend.ts). Prints what it did; a row the store refused, spend it could not add, or a
 * line skipped is named and fails the command.
 */
export async function importRows(file: string, config: Config, options: ImportOptions): Promise<void> {
  const { records, bad } = readRecords(file, await readInput(file), options);
  const storage = await openConfigStore(config, options.migrate === true, "store only");
  try {
    const done = await importAudit(storage.audit, records).catch((error: unknown) => {
      throw namingStorage(error, config.storage);
    });
    process.stdout.write(`${summary(done)}${await addSpend(storage, done, config, options)}`);
    const owed = options.spend && !options.spendStored ? possiblyOwed(file, done.held, new Date()) : "";
    process.stdout.write(`${owed}\n`);
    if (done.refused.length > 0)
      throw new Error(
        `the store refused ${done.refused.length} rows (a value it cannot hold), not imported: ${done.refused.map((r) => r.requestId).join(", ")}`,
      );
    if (bad.length > 0) throw new Error(`${file}: ${skippedLines(bad)}`);
  } finally {
    await storage.close();
  }
}

/** The lines read; a bad one refuses the whole import unless the bad are to be skipped. */
function readRecords(file: string, text: string, options: ImportOptions): AuditLines {
  const lines = readAuditLines(text);
  if (lines.bad.length > 0 && !options.skipBad)
    throw new UsageError(
      `${file}: ${listBadLines(lines.bad)}\nnothing imported (--skip-bad imports the good lines)`,
    );
  return lines;
}

/** The lines `--skip-bad` left out, named, with what a journal's split line needs. */
const skippedLines = (bad: readonly BadAuditLine[]) =>
  `${listBadLines(bad)}\nskipped, not imported (a journal splits a line longer than its LineMax: docs/RELIABILITY.md)`;

const summary = ({ imported, alreadyStored }: AuditImport) =>
  `imported ${imported.length} rows, ${alreadyStored} already stored`;

/** Adds the imported rows' spend; says how much, or why none. */
async function addSpend(storage: Storage, done: AuditImport, config: Config, options: ImportOptions) {
  if (!options.spend) return "; spend not added (--no-spend)";
  const spent = options.spendStored ? [...done.imported, ...done.held] : done.imported;
  const deltas = spendOf(spent, config, await keyChains(storage.keys, spent));
  if (deltas.size === 0) return "; no spend to add";
  try {
    await storage.spend.add(deltas);
  } catch (error) {
    const owed = [...deltas].map(([subject, usd]) => `${subject} $${usd}`).join(", ");
    process.stdout.write(`${summary(done)}\n`);
    throw new Error(
      `the rows are stored, but their spend was not added (${messageOf(error)}), and a new import skips them: ${owed}`,
    );
  }
  const cost = spent.reduce((sum, record) => sum + record.costUsd, 0);
  const whose = options.spendStored ? "their cost and the stored rows'" : "their cost";
  return `; ${whose}, ${dollars(cost)}, added to ${deltas.size === 1 ? "1 spend total" : `${deltas.size} spend totals`}`;
}
