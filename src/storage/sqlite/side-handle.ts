import type { Database } from "bun:sqlite";
import { closeDatabase } from "./open-database.ts";

/**
 * A handle of the audit thread's own for one kind of write besides audit rows (shadow pairs,
 * key last-used times and spend), opened with the first write and dropped after a failure: a
 * handle that failed (read-only, disk gone) may stay failed, so the next write reopens the file.
 */
export function sideHandle<T>(open: () => Database, make: (db: Database) => T) {
  let current: { db: Database; value: T } | null = null;
  return {
    async write<R>(use: (value: T) => R | Promise<R>): Promise<R> {
      if (current === null) {
        const db = open();
        current = { db, value: make(db) };
      }
      const { db, value } = current;
      try {
        return await use(value);
      } catch (error) {
        closeDatabase(db);
        if (current?.db === db) current = null;
        throw error;
      }
    },
    close(): void {
      if (current) closeDatabase(current.db);
      current = null;
    },
  };
}
