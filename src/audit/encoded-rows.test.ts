import { expect, test } from "bun:test";
import type { AuditBatchResult, AuditStore } from "../storage/storage.ts";
import { cellsKeptAfterChurn } from "../testing/kept-after-churn.ts";
import { ABSENT_AS_NULL, makeRecord } from "./audit-fixture.ts";
import type { AuditRecord } from "./audit-record.ts";
import { decodeAuditRows } from "./audit-row-reader.ts";
import { AuditWriter } from "./audit-writer.ts";
import { EncodedRows } from "./encoded-rows.ts";

/** A store that takes bytes as the audit threads do, keeping each batch it is handed, decoded. */
function textStore() {
  const batches: AuditRecord[][] = [];
  let failures = 0;
  const store: AuditStore = {
    insert: () => Promise.reject(new Error("records are handed over as bytes")),
    insertEncoded: (batch: Uint8Array): Promise<AuditBatchResult> => {
      if (failures > 0) {
        failures--;
        return Promise.reject(new Error("disk I/O error"));
      }
      const records = decodeAuditRows(batch);
      batches.push(records);
      return Promise.resolve({ written: records.length, rejected: 0 });
    },
    select: () => Promise.resolve([]),
    prune: () => Promise.resolve(0),
    probe: () => Promise.resolve(),
  };
  return { store, batches, failNext: () => failures++ };
}

test("a queued row leaves no cell behind: the collections during the flush window keep no string of it", async () => {
  const { store } = textStore();
  const writer = new AuditWriter({ store, flushMs: 60_000, batchSize: 100_000 });
  // One record for every write: a row then makes no string of its own (its JSON text did).
  const record = makeRecord();
  // As strings in the queue, every one of the 2,000 rows was kept.
  expect(await cellsKeptAfterChurn("string", () => writer.write(record))).toBeLessThan(100);
  expect(writer.stats().queued).toBe(4000);
  await writer.close();
});

test("rows of any size and alphabet go in queue order, in batches of batchSize, across the buffer's growth", async () => {
  const { store, batches } = textStore();
  const writer = new AuditWriter({ store, flushMs: 60_000, batchSize: 300, bodies: true });
  // ~1,300 bytes a row, a third of them non-ASCII: the queue outgrows its first 64 KB.
  const records = Array.from({ length: 700 }, (_, i) =>
    makeRecord({ requestId: `r${i}`, requestBody: `ünïcødé ✓ ${"x".repeat(i % 3 === 0 ? 1000 : 10)}` }),
  );
  for (const record of records) writer.write(record);
  await writer.flush();
  expect(batches.map((batch) => batch.length)).toEqual([300, 300, 100]);
  expect(batches.flat().map((row) => row.requestBody)).toEqual(records.map((r) => r.requestBody));
  expect(batches.flat().map((row) => row.requestId)).toEqual(records.map((r) => r.requestId));
  // After the backlog, the next rows are written as well.
  writer.write(makeRecord({ requestId: "after" }));
  await writer.flush();
  expect(batches.at(-1)?.map((row) => row.requestId)).toEqual(["after"]);
  await writer.close();
});

test("a failed batch stays first, ahead of the rows queued while it was written, and is retried whole", async () => {
  const { store, batches, failNext } = textStore();
  const writer = new AuditWriter({ store, flushMs: 60_000, batchSize: 3, retryMs: 1 });
  failNext();
  for (let i = 0; i < 4; i++) writer.write(makeRecord({ requestId: `r${i}` }));
  await writer.flush();
  expect(writer.stats()).toMatchObject({ healthy: false, queued: 4 });
  writer.write(makeRecord({ requestId: "r4" }));
  await writer.close();
  expect(batches.map((batch) => batch.map((row) => row.requestId))).toEqual([
    ["r0", "r1", "r2"],
    ["r3", "r4"],
  ]);
  expect(writer.stats()).toMatchObject({ healthy: true, queued: 0, written: 5 });
});

test("rows queued while a batch is written start a batch of their own, read without the rows before", async () => {
  const batches: AuditRecord[][] = [];
  let during: (() => void) | null = null;
  const rows = new EncodedRows((batch) => {
    // Decoded as the thread does: a row that referred to the batch before would not read back.
    batches.push(decodeAuditRows(batch));
    during?.();
    during = null;
    return Promise.resolve({ written: 0, rejected: 0 });
  }, 500);
  for (let i = 0; i < 3; i++) rows.push(makeRecord({ requestId: `r${i}` }));
  during = () => {
    for (let i = 3; i < 5; i++) rows.push(makeRecord({ requestId: `r${i}` }));
  };
  expect((await rows.write(500)).rows).toBe(3);
  expect((await rows.write(500)).rows).toBe(2);
  expect(batches.map((batch) => batch.map((row) => [row.requestId, row.keyId, row.route]))).toEqual([
    [
      ["r0", "key_1", "provider:openai"],
      ["r1", "key_1", "provider:openai"],
      ["r2", "key_1", "provider:openai"],
    ],
    [
      ["r3", "key_1", "provider:openai"],
      ["r4", "key_1", "provider:openai"],
    ],
  ]);
});

test("random pushes, failures and rows queued during writes: every row read back once, in order, each batch on its own", async () => {
  // A fixed generator: the same sequence every run.
  let seed = 12345;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)] as T;
  const record = (i: number) =>
    makeRecord({
      requestId: `r${i}`,
      keyId: pick(["key_1", "key_2", null]),
      model: pick(["gpt-4o-mini", "ünïcødé ✓", ""]),
      userAgent: pick(["a", "b", null]),
      route: pick(["provider:a", "provider:b"]),
    });
  const written: AuditRecord[] = [];
  const pushed: AuditRecord[] = [];
  const push = () => {
    const made = record(pushed.length);
    pushed.push(made);
    rows.push(made);
  };
  const batchSize = 7;
  const rows = new EncodedRows((batch) => {
    // Decoded alone, as the thread reads each batch: a reference outside it would throw here.
    const records = decodeAuditRows(batch);
    expect(records.length).toBeLessThanOrEqual(batchSize);
    for (let n = Math.floor(random() * 4); n > 0; n--) push();
    if (random() < 0.3) return Promise.reject(new Error("disk I/O error"));
    written.push(...records);
    return Promise.resolve({ written: records.length, rejected: 0 });
  }, batchSize);
  for (let step = 0; step < 400; step++) {
    for (let n = Math.floor(random() * 12); n > 0; n--) push();
    if (rows.waiting > 0) await rows.write(batchSize).catch(() => {});
  }
  // Bounded: a batch that cannot be read fails every time.
  for (let tries = 0; rows.waiting > 0 && tries < 1000; tries++) await rows.write(batchSize).catch(() => {});
  expect(written.map((r) => r.requestId)).toEqual(pushed.map((r) => r.requestId));
  // The optional fields the records leave out read back as null.
  expect(written).toEqual(pushed.map((r) => ({ ...r, ...ABSENT_AS_NULL })));
});

test("a backlog's memory goes as its rows are written, not once the queue is first empty", async () => {
  // Bodies queued faster than the audit thread writes them (sequential 4 MB requests, a busy
  // disk): the queue is never empty at the end of a write. In one buffer, written rows' bytes
  // stayed until the rows behind them were moved over them, and the buffer stayed at the largest
  // the backlog had made it.
  const body = "x".repeat(1 << 20);
  let arriving = 8;
  const rows = new EncodedRows(async (batch) => {
    if (arriving-- > 0) rows.push(makeRecord({ requestBody: body }));
    return { written: decodeAuditRows(batch).length, rejected: 0 };
  }, 2);
  for (let i = 0; i < 16; i++) rows.push(makeRecord({ requestId: `r${i}`, requestBody: body }));
  const held: [waiting: number, bytes: number][] = [];
  while (rows.waiting > 0) {
    await rows.write(2);
    held.push([rows.waiting, rows.bytesHeld]);
  }
  // After each write, the rows still waiting (a little over 1 MB each) and room for the last run to
  // grow into: the 32 MB buffer the backlog had grown was held to the end.
  const row = (1 << 20) + 4096;
  for (const [waiting, bytes] of held) expect(bytes).toBeLessThanOrEqual((waiting + 2) * row);
  expect(held.at(-1)).toEqual([0, 0]);
});
