import type { PostgresOptions } from "./postgres/postgres-client.ts";
import type { OpenDatabaseOptions } from "./sqlite/open-database.ts";

/**
 * What the gateway asks of an audit thread (SQLite's, sqlite/audit-thread.ts, or PostgreSQL's,
 * postgres/postgres-audit-thread.ts); every request gets one reply with its `id`. Each thread
 * answers the `open` for its own database; its `lines` is the cell of line-claims.ts (shared memory)
 * that says who writes the access lines an `insert`'s rows carry.
 */
export type AuditThreadRequest = { id: number } & (
  | { op: "open"; path: string; options: OpenDatabaseOptions; lines: Int32Array }
  | { op: "open-postgres"; options: PostgresOptions; lines: Int32Array }
  // The records as their fields' bytes (audit/audit-row-bytes.ts: numbers as numbers, strings as
  // UTF-8 written in place; transferred): no structured clone of a batch of objects (1.7 µs a
  // record on the gateway's event loop) and no JSON text of it (0.5).
  // `claim`: the batch's number in the lines' cell (line-claims.ts); absent for records handed to
  // `insert` as objects, which carry no line.
  // Handed back with the reply, to be freed where it was made (`AuditThreadReply.batch`).
  | { op: "insert"; records: Uint8Array<ArrayBuffer>; claim?: number }
  /**
   * Shadow pairs (shadow/) as JSON text of their records, for the same reason: the thread makes
   * each its row and writes them, off the loop (SQLite).
   */
  | { op: "shadow"; records: string }
  /** `KeyStore.touch` and `SpendStore.add`, written by the SQLite thread off the event loop's handle. */
  | { op: "touch-keys"; lastUsed: ReadonlyMap<string, number> }
  | { op: "add-spend"; deltas: ReadonlyMap<string, number> }
  /** `AuditStore.tenantUsage`: a read of a whole period's rows, off the event loop (SQLite). */
  | { op: "tenant-usage"; tenants: readonly string[]; from: number; to: number }
  | { op: "prune"; before: number; limit: number }
  | { op: "sweep"; limit: number }
  | { op: "probe" }
  | { op: "maintain"; idle: boolean }
  | { op: "close" }
);

/**
 * A failure keeps the driver's `code` (SQLite's, or Bun's PostgreSQL client's) and PostgreSQL's
 * SQLSTATE (`errno`), which tell a storage failure from a refused record. An `insert`'s reply
 * carries its batch back (transferred), done with, for the gateway to free at once: memory
 * freed on a thread other than the one that allocated it (or left to this thread's collector,
 * which its little work seldom runs) went back to the allocator late, and the gateway allocated
 * anew for every batch meanwhile (megabytes each with `audit.bodies`: bench/large-bodies-rss.ts).
 */
export type AuditThreadReply = (
  | { id: number; ok: true; value?: unknown }
  | { id: number; ok: false; message: string; code?: string; errno?: string }
) & { batch?: Uint8Array<ArrayBuffer> };
