import type { AuditRowKey } from "../audit/audit-row-key.ts";

/**
 * What an `AuditStore.alreadyStored` read asks for: the rows' distinct request ids and the span of
 * their starts (epoch ms, both ends included); null for no rows. A loop, not `Math.min(...)`: a
 * spread of a large import's starts would overflow the stack.
 */
export function auditRowSpan(
  rows: readonly AuditRowKey[],
): { requestIds: string[]; from: number; to: number } | null {
  if (rows.length === 0) return null;
  let from = Number.POSITIVE_INFINITY;
  let to = Number.NEGATIVE_INFINITY;
  const requestIds = new Set<string>();
  for (const row of rows) {
    if (row.startedAt < from) from = row.startedAt;
    if (row.startedAt > to) to = row.startedAt;
    requestIds.add(row.requestId);
  }
  return { requestIds: [...requestIds], from, to };
}
