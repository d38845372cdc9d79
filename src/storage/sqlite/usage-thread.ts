/**
 * The usage thread: a Worker that reads tenants' usage (audit-tenant-usage.ts, a period's every
 * row: about 0.26 s for 500,000) on a handle of its own, beside the audit thread, not on it. The
 * audit thread does one thing at a time, so a read there held every audit insert and key and
 * spend write up behind it; here WAL lets it read while the audit thread writes. The handle is
 * made query-only: nothing is ever written through it.
 */

import type { Database } from "bun:sqlite";
import type { AuditThreadRequest } from "../audit-thread-protocol.ts";
import { serveAuditThread } from "../serve-audit-thread.ts";
import { tenantUsageOf } from "./audit-tenant-usage.ts";
import { type OpenDatabaseOptions, openDatabase } from "./open-database.ts";
import { sqliteCode } from "./storage-failure.ts";

let opening: { path: string; options: OpenDatabaseOptions } | null = null;
let db: Database | null = null;

/** The handle, opened at the first read (and again after a failed one). */
function reader(): Database {
  if (db !== null) return db;
  if (opening === null) throw new Error("the usage thread was not opened");
  const opened = openDatabase(opening.path, opening.options);
  opened.run("PRAGMA query_only = 1");
  db = opened;
  return opened;
}

async function run(request: AuditThreadRequest): Promise<unknown> {
  switch (request.op) {
    case "open":
      opening = { path: request.path, options: request.options };
      return undefined;
    case "tenant-usage":
      try {
        return tenantUsageOf(reader(), request.tenants, request.from, request.to);
      } catch (error) {
        // A storage failure (the file replaced, a disk error): the next read opens it afresh.
        db?.close();
        db = null;
        throw error;
      }
    case "close":
      db?.close();
      db = null;
      return undefined;
    default:
      throw new Error(`the usage thread reads tenants' usage only, not ${request.op}`);
  }
}

serveAuditThread(run, sqliteCode);
