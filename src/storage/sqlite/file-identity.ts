import { statSync } from "node:fs";

/** The file at `path` as the system knows it (device and inode), or null when there is none. */
const identityOf = (path: string): string | null => {
  try {
    const found = statSync(path);
    return `${found.dev}:${found.ino}`;
  } catch {
    return null;
  }
};

/**
 * The SQLite file a store opened, watched for being replaced or deleted while open (a backup
 * restored with `mv` over it, an `rm`): SQLite in WAL mode goes on writing to the unlinked file
 * without an error, so every later row would be lost with the process. Once moved it stays moved:
 * opening the file now at the path would split the data between two files (the other handles
 * stay on the old one), so the store refuses writes until a restart.
 */
export class FileIdentity {
  private readonly opened: string | null;
  private moved = false;

  constructor(private readonly path: string) {
    this.opened = identityOf(path);
  }

  /** Throws SQLite's own code for it (a storage failure: storage-failure.ts) once the file moved. */
  check(): void {
    // No file to watch (`:memory:`, or none found at the open): nothing can move.
    if (this.opened === null) return;
    if (!this.moved && identityOf(this.path) === this.opened) return;
    this.moved = true;
    const error = new Error(
      `storage.path ${this.path}: the database file was replaced or deleted while open; restart mindgw to open the file there now`,
    );
    Object.assign(error, { code: "SQLITE_READONLY_DBMOVED" });
    throw error;
  }
}
