import type { AuditRecord } from "../../audit/audit-record.ts";
import type { OpenDatabaseOptions } from "./open-database.ts";

/** What the gateway asks of the audit thread; every request gets one reply with its `id`. */
export type AuditThreadRequest = { id: number } & (
  | { op: "open"; path: string; options: OpenDatabaseOptions }
  | { op: "insert"; records: readonly AuditRecord[] }
  | { op: "prune"; before: number; limit: number }
  | { op: "probe" }
  | { op: "maintain"; idle: boolean }
  | { op: "close" }
);

/** A failure keeps SQLite's code, which tells a storage failure from a refused record. */
export type AuditThreadReply =
  | { id: number; ok: true; value?: unknown }
  | { id: number; ok: false; message: string; code?: string };
