import type { CursorSeal } from "../core/cursor-seal.ts";
import type { AuditStore } from "../storage/storage.ts";
import { decodeCursor, encodeCursor } from "./audit-cursor.ts";
import type { AuditQuery } from "./audit-query-schema.ts";
import type { AuditRecord } from "./audit-record.ts";

/** One page of the audit log; `nextCursor` is null on the last page. */
export interface AuditPage {
  records: AuditRecord[];
  nextCursor: string | null;
}

/**
 * Reads one page. Pages are keyset-paginated on (started_at, row id), the order of start, while a
 * row is written when its request ends: following `nextCursor` from a first page returns every
 * row that was in the log when that page was read, each once, however many rows are written in
 * between; a row written meanwhile is returned only if its start is still ahead of the cursor (a
 * long request that started behind it is not: a walk begun after it ended finds it).
 * docs/RELIABILITY.md, "Reading the log back"; storage-contract-paging.test.ts.
 * Throws a 400 GatewayError on a malformed cursor, or one another order or other filters made
 * (audit-cursor.ts). `seal`: a reader held to its tenant's rows gets, and gives, sealed cursors.
 */
export async function queryAudit(
  store: Pick<AuditStore, "select">,
  query: AuditQuery,
  seal?: CursorSeal,
): Promise<AuditPage> {
  const after = query.cursor === undefined ? null : decodeCursor(query.cursor, query, seal);
  // One extra row tells whether another page exists without a count(*).
  const entries = await store.select(query, after, query.limit + 1);
  const more = entries.length > query.limit;
  const page = more ? entries.slice(0, query.limit) : entries;
  const last = page.at(-1);
  return {
    records: page.map((entry) => entry.record),
    nextCursor: more && last !== undefined ? encodeCursor(last.position, query, seal) : null,
  };
}
