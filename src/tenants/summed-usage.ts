import type { AuditPosition } from "../audit/audit-cursor.ts";
import { auditFilterSchema } from "../audit/audit-query-schema.ts";
import { yieldToLoop } from "../core/yield-to-loop.ts";
import type { AuditStore, TenantUsage } from "../storage/storage.ts";

const PAGE = 1000;

/**
 * `AuditStore.tenantUsage` for a store without it (an embedder's): each tenant's rows in
 * [from, to), front door `admin` left out, summed a page at a time. The event loop gets a turn
 * between pages, so a long period is slow to count but never holds up the requests served
 * meanwhile.
 */
export async function summedUsage(
  store: AuditStore,
  tenants: readonly string[],
  from: number,
  to: number,
): Promise<Map<string, TenantUsage>> {
  const sums = new Map<string, TenantUsage>();
  for (const tenant of tenants) {
    const filter = auditFilterSchema.parse({ tenant, from, to, order: "asc", exclude_front_door: "admin" });
    const usage: TenantUsage = { requests: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 };
    let after: AuditPosition | null = null;
    for (;;) {
      const page = await store.select(filter, after, PAGE);
      for (const { record } of page) {
        usage.requests++;
        usage.inputTokens += record.inputTokens;
        usage.outputTokens += record.outputTokens;
        usage.costUsd += record.costUsd;
      }
      const last = page.at(-1);
      if (page.length < PAGE || last === undefined) break;
      after = last.position;
      await yieldToLoop();
    }
    if (usage.requests > 0) sums.set(tenant, usage);
  }
  return sums;
}
