import { basename, dirname, resolve } from "node:path";
import type { AuditRecord } from "../../audit/audit-record.ts";
import { saveUnwrittenRows } from "../../audit/unwritten-rows.ts";
import { messageOf } from "../../core/describe-error.ts";
import { dollars } from "../dollars.ts";

/**
 * A file a stop saved with rows its hung write may have stored (unwritten-rows.ts names it
 * `…unwritten-maybe-stored-<time>.ndjson`), or the side file of such rows an import saved from one.
 */
const maybeStoredInput = (file: string): boolean => basename(file).includes("unwritten-maybe-stored-");

/**
 * A file a stop saved with rows no write of it had begun (`…unwritten-<time>.ndjson`): a row of it
 * already stored was stored by an import. Any other input — standard input (a journal excerpt of
 * the rows no file took, which may hold a hung write's rows), a renamed or moved spill — cannot
 * say which it is, and is read as maybe stored: an under-charge is the quieter mistake.
 */
const unwrittenInput = (file: string): boolean =>
  file !== "-" && /unwritten-\d{4}-/.test(basename(file)) && !maybeStoredInput(file);

/**
 * What an import says of the rows it skipped as already stored, whose spend it did not add. A row
 * of a stop's `…unwritten-<time>` file was stored by an import before, which added its cost then:
 * nothing to add. A row of a `…unwritten-maybe-stored…` file (or of an input that cannot say) may instead have been stored by the write the stop
 * stopped waiting for, its cost in no spend total, that stop's spend flush having failed with it.
 * Nothing in the log tells the two apart, so its cost is said as possibly owed, and the rows are
 * saved to a file of their own, which `--spend-stored` imports for their spend alone: the
 * operator, who knows whether the file was imported before, decides.
 */
export function possiblyOwed(file: string, held: readonly AuditRecord[], at: Date): string {
  if (held.length === 0) return "";
  if (unwrittenInput(file)) return `\n${held.length} rows already stored (imported before): nothing to add`;
  const cost = held.reduce((sum, record) => sum + record.costUsd, 0);
  if (cost <= 0) return "";
  const said = `possibly owed: ${dollars(cost)}, the cost of the ${held.length} rows already stored, not added: if the stop's own write stored them (this file's first import, and the stop's spend flush failed), no total holds it; if an import stored them, it was added then`;
  // A side file saved before holds just these rows: it is the one to add them from.
  if (basename(file).includes(".already-stored-"))
    return `\n${said}; to add it: mindgw audit import ${resolve(file)} --spend-stored (with this -c)`;
  const saved = saveUnwrittenRows(held, [sidePath(file, at)], () => {});
  if ("stderr" in saved)
    return `\n${said} (the rows could not be saved for adding it: ${messageOf(saved.error)})`;
  return `\n${said}; to add it: mindgw audit import ${saved.path} --spend-stored (with this -c)`;
}

/** Beside the input (`<file>.already-stored-<time>.ndjson`). */
function sidePath(file: string, at: Date): string {
  const time = at.toISOString().replaceAll(":", "-");
  return resolve(dirname(file), `${basename(file)}.already-stored-${time}.ndjson`);
}
