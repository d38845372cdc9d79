import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { closeDatabase, openDatabase } from "../storage/sqlite/open-database.ts";
import { createThreadedAuditStore } from "../storage/sqlite/threaded-audit-store.ts";
import type { AuditBatchResult } from "../storage/storage.ts";
import { makeRecord, tempDir } from "./audit-fixture.ts";
import type { AuditRecord } from "./audit-record.ts";
import { decodeAuditRows } from "./audit-row-reader.ts";
import { AuditWriter } from "./audit-writer.ts";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/**
 * The SQLite audit thread's store (it takes records as bytes), with every batch it is handed
 * listed by kind; `failNext` makes the next encoded batch fail as storage does.
 */
function threadStore() {
  const dir = tempDir();
  const path = join(dir.path, "audit.db");
  const reader = openDatabase(path);
  const inner = createThreadedAuditStore({ path, reader });
  cleanups.push(async () => {
    await inner.close();
    closeDatabase(reader);
    dir.cleanup();
  });
  const batches: { kind: string; size: number }[] = [];
  let failures = 0;
  const store = {
    ...inner,
    insert: (records: readonly AuditRecord[]) => {
      batches.push({ kind: "objects", size: records.length });
      return inner.insert(records);
    },
    insertEncoded: (batch: Uint8Array<ArrayBuffer>): Promise<AuditBatchResult> => {
      batches.push({ kind: "bytes", size: decodeAuditRows(batch).length });
      if (failures > 0) {
        failures--;
        return Promise.reject(Object.assign(new Error("disk I/O error"), { code: "SQLITE_IOERR" }));
      }
      return inner.insertEncoded(batch);
    },
  };
  return { store, batches, failNext: () => failures++ };
}

describe("AuditWriter over a store that takes text (the audit thread)", () => {
  test("records are handed over as their text and read back field for field", async () => {
    const { store, batches } = threadStore();
    const writer = new AuditWriter({ store, flushMs: 60_000 });
    const records = Array.from({ length: 40 }, (_, i) =>
      makeRecord({ requestId: `r${i}`, startedAt: 1_700_000_000_000 + i }),
    );
    for (const record of records) writer.write(record);
    await writer.flush();
    expect(batches).toEqual([{ kind: "bytes", size: 40 }]);
    expect(writer.stats()).toMatchObject({ queued: 0, written: 40, rejected: 0, healthy: true });
    const page = await store.select({ order: "asc", bodies: false }, null, 100);
    expect(page.map((entry) => entry.record)).toEqual(records);
    await writer.close();
  });

  test("bodies go through the redaction hook before they are encoded, and only with bodies: true", async () => {
    const { store } = threadStore();
    const redact = (body: string, kind: "request" | "response") =>
      `${kind}:${body.replaceAll("sk-secret", "***")}`;
    const off = new AuditWriter({ store, redact });
    off.write(makeRecord({ requestId: "off", requestBody: "sk-secret", responseBody: "x" }));
    await off.flush();
    const on = new AuditWriter({ store, bodies: true, redact });
    on.write(makeRecord({ requestId: "on", requestBody: '{"key":"sk-secret"}', responseBody: null }));
    await on.flush();
    const page = await store.select({ order: "asc", bodies: true }, null, 10);
    expect(page.map(({ record }) => [record.requestId, record.requestBody, record.responseBody])).toEqual([
      ["off", null, null],
      ["on", 'request:{"key":"***"}', null],
    ]);
    await off.close();
    await on.close();
  });

  test("a batch that fails is kept as bytes and written once storage recovers", async () => {
    const { store, batches, failNext } = threadStore();
    const health: boolean[] = [];
    const writer = new AuditWriter({
      store,
      flushMs: 60_000,
      retryMs: 1,
      onHealthChange: (healthy) => health.push(healthy),
    });
    failNext();
    for (let i = 0; i < 5; i++) writer.write(makeRecord({ requestId: `r${i}` }));
    await writer.flush();
    expect(writer.healthy()).toBe(false);
    expect(writer.stats().queued).toBe(5);
    writer.write(makeRecord({ requestId: "r5" }));
    await writer.flush();
    expect(health).toEqual([false, true]);
    // Retried as it was; the row queued meanwhile goes in a batch of its own.
    expect(batches).toEqual([
      { kind: "bytes", size: 5 },
      { kind: "bytes", size: 5 },
      { kind: "bytes", size: 1 },
    ]);
    const page = await store.select({ order: "asc", bodies: false }, null, 10);
    expect(page.map((entry) => entry.record.requestId)).toEqual(["r0", "r1", "r2", "r3", "r4", "r5"]);
    await writer.close();
  });
});
