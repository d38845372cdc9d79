import { expect, test } from "bun:test";
import { makeRecord } from "../../audit/audit-fixture.ts";
import { auditFilterSchema } from "../../audit/audit-query-schema.ts";
import { LARGEST_STORED_TOKENS } from "./postgres-audit-select.ts";
import { postgresFixture } from "./postgres-storage-fixture.ts";

const pg = postgresFixture();

/** Past 2^31: what a buggy or hostile upstream may report, relayed as sent. */
const HUGE = 3_000_000_000;

const oldestFirst = auditFilterSchema.parse({ order: "asc" });

test("a row of 3,000,000,000 tokens is stored with its counts at INTEGER's largest, not refused and dropped; its cost as computed, the batch's other row as it was", async () => {
  const { storage } = await pg.opened();
  const huge = makeRecord({
    requestId: "req_huge",
    inputTokens: HUGE,
    outputTokens: HUGE + 1,
    costUsd: 9000.5,
  });
  const small = makeRecord({ requestId: "req_small", startedAt: huge.startedAt + 1 });
  expect(await storage.audit.insert([huge, small])).toEqual({ written: 2, rejected: 0 });
  const rows = await storage.audit.select(oldestFirst, null, 10);
  expect(rows.map((row) => row.record)).toEqual([
    { ...huge, inputTokens: LARGEST_STORED_TOKENS, outputTokens: LARGEST_STORED_TOKENS },
    small,
  ]);
  const usage = await storage.audit.tenantUsage?.(["acme"], 0, huge.startedAt + 2);
  expect(usage?.get("acme")).toEqual({
    requests: 2,
    inputTokens: LARGEST_STORED_TOKENS + small.inputTokens,
    outputTokens: LARGEST_STORED_TOKENS + small.outputTokens,
    costUsd: huge.costUsd + small.costUsd,
  });
});
