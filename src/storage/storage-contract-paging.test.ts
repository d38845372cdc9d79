/**
 * The storage contract, every backend (storage-contract-fixture.ts): what following the audit
 * query's cursor returns while rows are being written (docs/RELIABILITY.md, "Reading the log
 * back"). Pages are in order of start; a row is written when its request ends.
 */
import { describe, expect, test } from "bun:test";
import { makeRecord } from "../audit/audit-fixture.ts";
import { type AuditPage, queryAudit } from "../audit/audit-query.ts";
import { auditQuerySchema } from "../audit/audit-query-schema.ts";
import type { AuditRecord } from "../audit/audit-record.ts";
import type { AuditStore } from "./storage.ts";
import { contractBackends } from "./storage-contract-fixture.ts";

const BASE = 1_700_000_000_000;
const at = (second: number, requestId: string): AuditRecord =>
  makeRecord({ requestId, startedAt: BASE + second * 1000 });

/** Follows the cursor from the first page, `between` run after each page but the last. */
async function walk(audit: AuditStore, order: "asc" | "desc", between: (page: number) => Promise<void>) {
  const seen: string[] = [];
  let cursor: string | null | undefined;
  for (let page = 0; cursor !== null; page++) {
    const query = auditQuerySchema.parse({ order, limit: 3, ...(cursor ? { cursor } : {}) });
    const got: AuditPage = await queryAudit(audit, query);
    seen.push(...got.records.map((r) => r.requestId));
    cursor = got.nextCursor;
    if (cursor !== null) await between(page);
  }
  return seen;
}

for (const [name, fresh] of contractBackends()) {
  describe(`Storage contract: ${name}`, () => {
    for (const order of ["asc", "desc"] as const)
      test(`audit cursor (${order}): every row in the log when the walk began, once; a row written meanwhile only if its start is still ahead`, async () => {
        const { audit } = await fresh();
        const before = Array.from({ length: 12 }, (_, i) => at(10 + i, `before-${i}`));
        await audit.insert(before);
        const walked = await walk(audit, order, async (page) => {
          if (page !== 1) return;
          // Written after two pages: a request that started long ago (behind the cursor, either
          // order's far end is ahead of it), one that started just now, and one that shares a
          // start with a row already paged (the row id tells them apart).
          await audit.insert([
            at(order === "asc" ? 11 : 20, "long-behind"),
            at(order === "asc" ? 30 : 0, "ahead"),
            at(order === "asc" ? 10 : 21, "same-start-behind"),
          ]);
        });
        // Each row there at the start, once, in order; none twice.
        expect(walked.filter((id) => id.startsWith("before-"))).toEqual(
          (order === "asc" ? before : [...before].reverse()).map((r) => r.requestId),
        );
        expect(new Set(walked).size).toBe(walked.length);
        // A row written behind the cursor is not in this walk: pages are by start, not by write.
        expect(walked).toContain("ahead");
        expect(walked).not.toContain("long-behind");
        expect(walked).not.toContain("same-start-behind");
        // A walk begun after it was written returns it.
        expect(await walk(audit, order, async () => {})).toContain("long-behind");
      });
  });
}
