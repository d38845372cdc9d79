/** A refusal's text is a log line's: SQLite's are one short sentence; longer is cut. */
const MAX_REASON = 200;

/**
 * What SQLite said of a row it refused, for its log line (audit/refused-rows-log.ts): the code and
 * message ("SQLITE_CONSTRAINT_NOTNULL: NOT NULL constraint failed: audit_log.status"), which name
 * the constraint or column and never a value (a bind refused before SQLite: Bun's message, its type).
 */
export function sqliteRefusal(error: unknown): string {
  const code =
    typeof error === "object" && error !== null && "code" in error && typeof error.code === "string"
      ? `${error.code}: `
      : "";
  const text = `${code}${error instanceof Error ? error.message : String(error)}`;
  return text.length > MAX_REASON ? `${text.slice(0, MAX_REASON)}…` : text;
}
