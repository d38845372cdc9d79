import type { Database } from "bun:sqlite";
import { decodeCursor, encodeCursor } from "./audit-cursor.ts";
import type { AuditQuery } from "./audit-query-schema.ts";
import type { AuditRecord } from "./audit-record.ts";
import { type AuditRow, rowToRecord, selectPage } from "./audit-select.ts";

/** One page of the audit log; `nextCursor` is null on the last page. */
export interface AuditPage {
  records: AuditRecord[];
  nextCursor: string | null;
}

/**
 * Reads one page. Pages are keyset-paginated on (started_at, rowid): following `nextCursor`
 * never repeats or skips a row, however many rows are written in between.
 * Throws a 400 GatewayError on a malformed cursor.
 */
export function queryAudit(db: Database, query: AuditQuery): AuditPage {
  const after = query.cursor === undefined ? null : decodeCursor(query.cursor);
  // One extra row tells whether another page exists without a count(*).
  const { sql, params } = selectPage(query, after, query.limit + 1);
  const rows = db.query<AuditRow, typeof params>(sql).all(...params);
  const more = rows.length > query.limit;
  const page = more ? rows.slice(0, query.limit) : rows;
  const last = page.at(-1);
  return {
    records: page.map(rowToRecord),
    nextCursor: more && last !== undefined ? encodeCursor({ startedAt: last.started_at, id: last.id }) : null,
  };
}
