import { basename, dirname, resolve } from "node:path";
import type { AuditRecord } from "../../audit/audit-record.ts";
import { saveUnwrittenRows } from "../../audit/unwritten-rows.ts";

/**
 * What an import says of the rows it skipped as already stored, whose spend it did not add. A row
 * the write a stop stopped waiting for did store (a `…unwritten-maybe-stored…` file) has its cost
 * in no spend total, that stop's spend flush having failed with it; a row an import stored before
 * has it already. Nothing in the log tells the two apart, so the cost is said as possibly owed, and
 * the rows are saved to a file of their own, which `--spend-stored` imports for their spend alone:
 * the operator, who knows whether the file was imported before, decides.
 */
export function possiblyOwed(file: string, held: readonly AuditRecord[], at: Date): string {
  const cost = held.reduce((sum, record) => sum + record.costUsd, 0);
  if (cost <= 0) return "";
  const said = `possibly owed: $${cost.toFixed(6)}, the cost of the ${held.length} rows already stored, not added: if the stop's own write stored them (this file's first import, and the stop's spend flush failed), no total holds it; if an import stored them, it was added then`;
  const saved = saveUnwrittenRows(held, [sidePath(file, at)], () => {});
  if ("stderr" in saved)
    return `\n${said} (the rows could not be saved for adding it: ${saved.error instanceof Error ? saved.error.message : String(saved.error)})`;
  return `\n${said}; to add it: mindgw audit import ${saved.path} --spend-stored (with this -c)`;
}

/** Beside the input (`<file>.already-stored-<time>.ndjson`), or in the working directory for stdin. */
function sidePath(file: string, at: Date): string {
  const time = at.toISOString().replaceAll(":", "-");
  if (file === "-") return resolve(`mindgw-audit-already-stored-${time}.ndjson`);
  return resolve(dirname(file), `${basename(file)}.already-stored-${time}.ndjson`);
}
