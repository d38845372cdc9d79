import { sqlStateOf } from "./postgres-failure.ts";

/** The column a COPY row failed on, as its error's context names it (`COPY audit_log, line 1, column status: "NaN"`). */
const COPY_COLUMN = /\bcolumn (\w+)/;

function text(error: unknown, name: "column" | "constraint" | "table" | "where"): string | undefined {
  if (typeof error !== "object" || error === null || !(name in error)) return undefined;
  const value = (error as Record<string, unknown>)[name];
  return typeof value === "string" && value !== "" ? value : undefined;
}

/**
 * What PostgreSQL said of a row it refused, for its log line (audit/refused-rows-log.ts): the
 * SQLSTATE and the column, constraint and table it named ("SQLSTATE 22P02, column status"). Never
 * its message, detail or context whole: they quote the value ("invalid input syntax for type
 * integer: "NaN"", "Failing row contains (…)"), which may be a caller's text.
 */
export function postgresRefusal(error: unknown): string {
  const parts = [`SQLSTATE ${sqlStateOf(error) ?? "unknown"}`];
  const column = text(error, "column") ?? COPY_COLUMN.exec(text(error, "where") ?? "")?.[1];
  if (column !== undefined) parts.push(`column ${column}`);
  const constraint = text(error, "constraint");
  if (constraint !== undefined) parts.push(`constraint ${constraint}`);
  const table = text(error, "table");
  if (table !== undefined) parts.push(`table ${table}`);
  return parts.join(", ");
}
