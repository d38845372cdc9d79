/** Codes that say the file or its folder cannot be made or opened (not a file that is no database). */
const CANNOT_OPEN = new Set([
  "EACCES",
  "EPERM",
  "EROFS",
  "ENOENT",
  "ENOTDIR",
  "EEXIST",
  "SQLITE_CANTOPEN",
  "SQLITE_PERM",
]);

/** Whether `error` says a file or folder cannot be made or opened, rather than what a file holds. */
export function isCannotOpen(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && CANNOT_OPEN.has(code);
}

/**
 * A storage.path the process cannot make or open its file at: a setting to fix (or its folder's
 * owner), which `mindgw` ends on with exit 2 as any refused config, not 1, a runtime failure.
 */
export class StoragePathError extends Error {}

/**
 * The error for a storage.path whose file (or a file beside it: the serve lock) cannot be made or
 * opened, naming the setting to change: a bare "EACCES: permission denied, mkdir '/etc/mindgw/data'"
 * does not say that the folder is storage.path's, nor that a relative path (the default) is read
 * beside the config file rather than in the working directory.
 */
export function cannotOpen(path: string, reason: string, cause: unknown): StoragePathError {
  return new StoragePathError(
    `storage.path: cannot create or open ${path}: ${reason} (its folder must be writable by the user mindgw runs as; a relative storage.path is read from the config file's folder)`,
    { cause },
  );
}
