import { afterAll, expect, test } from "bun:test";
import type { AuditAttempt } from "../../audit/audit-attempt.ts";
import { makeRecord } from "../../audit/audit-fixture.ts";
import { auditFilterSchema } from "../../audit/audit-query-schema.ts";
import type { AuditRecord } from "../../audit/audit-record.ts";
import { openDatabase } from "./open-database.ts";
import { createSqliteAuditStore } from "./sqlite-audit-store.ts";
import { tempDir } from "./test-helpers.ts";

const tmp = tempDir();
afterAll(tmp.cleanup);

const attempt = (overrides: Partial<AuditAttempt> = {}): AuditAttempt => ({
  route: "provider:openai",
  upstreamModel: "gpt-4o-mini-2024-07-18",
  outcome: "ok",
  status: null,
  errorClass: null,
  durationMs: 0.6123456789012345,
  ...overrides,
});

const longRoute = `provider:${"x".repeat(600)}`;
/** Each a record of makeRecord's route and upstream model (provider:openai, gpt-4o-mini-2024-07-18). */
const cases: [string, Partial<AuditRecord>, "duration" | "json" | "none"][] = [
  ["one ok attempt on the row's route and model", { attempts: [attempt()] }, "duration"],
  ["one ok attempt on another route", { attempts: [attempt({ route: "worker:w1" })] }, "json"],
  ["one ok attempt on another upstream model", { attempts: [attempt({ upstreamModel: "gpt-4o" })] }, "json"],
  [
    "one failed attempt",
    { attempts: [attempt({ outcome: "failed", status: 500, errorClass: "upstream_error" })] },
    "json",
  ],
  ["one cut attempt", { attempts: [attempt({ outcome: "cut" })] }, "json"],
  [
    "a retry, then ok",
    { attempts: [attempt({ outcome: "failed", status: 503, errorClass: "upstream_error" }), attempt()] },
    "json",
  ],
  // Interned texts are cut at 512 characters: the row could not give this route back whole.
  [
    "one ok attempt on a route too long to intern whole",
    { route: longRoute, attempts: [attempt({ route: longRoute })] },
    "json",
  ],
  ["no attempt", {}, "none"],
];

test("the one ok attempt on the row's own route is kept as its duration; every other list as JSON; all read back as written", async () => {
  const path = tmp.file("attempts.db");
  const store = createSqliteAuditStore({ database: () => openDatabase(path) });
  const records = cases.map(([, overrides], i) =>
    makeRecord({ requestId: `r${i}`, startedAt: 1_700_000_000_000 + i, ...overrides }),
  );
  expect(await store.insert(records)).toEqual({ written: cases.length, rejected: 0 });

  const read = await store.select(auditFilterSchema.parse({ order: "asc" }), null, 100);
  // The row's own route reads back cut (as it always has); its attempt keeps the whole route.
  const cut = (r: AuditRecord) => ({ ...r, route: r.route?.slice(0, 512) ?? null });
  expect(read.map((entry) => entry.record)).toEqual(records.map(cut));

  const db = openDatabase(path, { readonly: true });
  const stored = db
    .query<{ request_id: string; attempts: string | null; attempt_ms: number | null }, []>(
      "SELECT request_id, attempts, attempt_ms FROM audit_log ORDER BY id",
    )
    .all();
  db.close();
  await store.close();
  cases.forEach(([name, overrides, form], i) => {
    const row = stored[i];
    const expected =
      form === "duration"
        ? { attempts: null, attempt_ms: overrides.attempts?.[0]?.durationMs }
        : form === "json"
          ? { attempts: JSON.stringify(overrides.attempts), attempt_ms: null }
          : { attempts: null, attempt_ms: null };
    expect({ name, attempts: row?.attempts, attempt_ms: row?.attempt_ms }).toEqual({ name, ...expected });
  });
});
