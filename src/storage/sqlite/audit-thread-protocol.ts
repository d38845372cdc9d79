import type { OpenDatabaseOptions } from "./open-database.ts";
import type { ShadowRow } from "./shadow-inserter.ts";

/** What the gateway asks of the audit thread; every request gets one reply with its `id`. */
export type AuditThreadRequest = { id: number } & (
  | { op: "open"; path: string; options: OpenDatabaseOptions }
  // The records as JSON text: a string crosses to the thread for a fraction of what the
  // structured clone of a batch of objects costs the gateway's event loop (0.5 against 1.7 µs a
  // record); records hold only JSON values.
  | { op: "insert"; records: string }
  /** Shadow pairs (shadow/) as rows, arrays of strings and numbers: written here, off the loop. */
  | { op: "shadow"; rows: readonly ShadowRow[] }
  | { op: "prune"; before: number; limit: number }
  | { op: "probe" }
  | { op: "maintain"; idle: boolean }
  | { op: "close" }
);

/** A failure keeps SQLite's code, which tells a storage failure from a refused record. */
export type AuditThreadReply =
  | { id: number; ok: true; value?: unknown }
  | { id: number; ok: false; message: string; code?: string };
