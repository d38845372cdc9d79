import type { AuditBatchResult, RefusedRow } from "./audit-store.ts";

/**
 * A record the store refused on its own, counted in `result` and named (its log line:
 * audit/refused-rows-log.ts). Both stores count theirs here; `refused` is made at the first.
 */
export function countRefusal(result: AuditBatchResult, row: RefusedRow): void {
  result.rejected++;
  if (result.refused === undefined) result.refused = [row];
  else result.refused.push(row);
}
