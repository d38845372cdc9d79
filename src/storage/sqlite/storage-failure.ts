/**
 * SQLite result codes that mean "the storage cannot take writes right now" (disk full,
 * read-only file, I/O error, cannot open, locked past the busy timeout, damaged file), as
 * opposed to one record SQLite refuses. Extended codes (SQLITE_IOERR_WRITE,
 * SQLITE_READONLY_DBMOVED, …) share their primary code's prefix.
 */
const STORAGE_CODES = [
  "SQLITE_FULL",
  "SQLITE_READONLY",
  "SQLITE_IOERR",
  "SQLITE_CANTOPEN",
  "SQLITE_BUSY",
  "SQLITE_LOCKED",
  "SQLITE_CORRUPT",
  "SQLITE_NOTADB",
  "SQLITE_PERM",
  "SQLITE_NOMEM",
  "SQLITE_PROTOCOL",
  "SQLITE_MISUSE",
] as const;

/** The SQLite code of an error, when it carries one. */
export function sqliteCode(error: unknown): string | null {
  if (typeof error !== "object" || error === null || !("code" in error)) return null;
  return typeof error.code === "string" && error.code.startsWith("SQLITE_") ? error.code : null;
}

export function isStorageFailure(error: unknown): boolean {
  const code = sqliteCode(error);
  return code !== null && STORAGE_CODES.some((prefix) => code === prefix || code.startsWith(`${prefix}_`));
}
