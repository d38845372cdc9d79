/**
 * The storage contract, every backend (storage-contract-fixture.ts): `AuditStore.tenantUsage`, the
 * one aggregate `/admin/api/tenants` reads, against the sums of the rows `select` pages through
 * (what the tenants' usage was before the aggregate, and still is for a store without it).
 */
import { describe, expect, test } from "bun:test";
import { makeRecord } from "../audit/audit-fixture.ts";
import type { AuditRecord } from "../audit/audit-record.ts";
import { summedUsage } from "../tenants/summed-usage.ts";
import { contractBackends } from "./storage-contract-fixture.ts";

const FROM = 1_700_000_000_000;
const TO = FROM + 86_400_000;

/** 300 rows: three tenants and none, a tenth the admin API's own calls, some outside [FROM, TO). */
const rows = (): AuditRecord[] =>
  Array.from({ length: 300 }, (_, i) =>
    makeRecord({
      startedAt: FROM - 5_000 + i * 300_000,
      keyId: `key_${i % 4}`,
      tenant: [null, "acme", "globex", "initech"][i % 4]!,
      frontDoor: i % 10 === 3 ? "admin" : i % 2 === 0 ? "chat" : "messages",
      inputTokens: 10 + i,
      outputTokens: 2 * i,
      costUsd: 0.0001 * (1 + (i % 7)),
    }),
  );

for (const [name, fresh] of contractBackends()) {
  describe(`Storage contract: ${name}`, () => {
    test("audit: tenantUsage sums each tenant's rows in the range, the admin API's calls left out", async () => {
      const { audit } = await fresh();
      const records = rows();
      expect(await audit.insert(records)).toEqual({ written: 300, rejected: 0 });
      const tenants = ["acme", "globex", "initech", "nobody"];
      const usage = await audit.tenantUsage?.(tenants, FROM, TO);
      if (usage === undefined) throw new Error(`the ${name} store has no tenantUsage`);

      const expected = (tenant: string) => {
        const counted = records.filter(
          (r) => r.tenant === tenant && r.startedAt >= FROM && r.startedAt < TO && r.frontDoor !== "admin",
        );
        return {
          requests: counted.length,
          inputTokens: counted.reduce((sum, r) => sum + r.inputTokens, 0),
          outputTokens: counted.reduce((sum, r) => sum + r.outputTokens, 0),
          costUsd: counted.reduce((sum, r) => sum + r.costUsd, 0),
        };
      };
      const paged = await summedUsage(audit, tenants, FROM, TO);
      expect([...usage.keys()].sort()).toEqual(["acme", "globex", "initech"]);
      for (const tenant of ["acme", "globex", "initech"]) {
        const { costUsd, ...counts } = expected(tenant);
        expect(counts.requests).toBeGreaterThan(50);
        // Summed in another order than here, or than paging through the rows (summedUsage).
        const sums = { ...counts, costUsd: expect.closeTo(costUsd, 10) };
        expect(usage.get(tenant)).toEqual(sums);
        expect(paged.get(tenant)).toEqual(sums);
      }
      expect(await audit.tenantUsage?.(["acme"], TO, TO + 1)).toEqual(new Map());
      expect(await audit.tenantUsage?.([], FROM, TO)).toEqual(new Map());
    });
  });
}
