import { expect, test } from "bun:test";
import type { AuditBatchResult, AuditStore } from "../storage/storage.ts";
import { AccessLineRelay } from "./access-line-relay.ts";
import { makeRecord } from "./audit-fixture.ts";
import type { AuditRecord } from "./audit-record.ts";
import { ROW_LINE, type RowLine } from "./audit-row-layout.ts";
import { parseAuditBatch } from "./audit-row-reader.ts";
import { AuditWriter } from "./audit-writer.ts";

/**
 * A store whose "thread" writes the lines rows carry (into `threadWrote`) when it gets their
 * claim, unless `lost` (it never took the batch: `reclaim` then gives the lines back); `failures`
 * batches fail after their lines.
 */
function lineStore() {
  const state = { lost: false, failures: 0, threadWrote: [] as string[], batches: [] as RowLine[][] };
  const taken = new Set<number>();
  let claims = 0;
  const store: AuditStore = {
    insert: async (records) => ({ written: records.length, rejected: 0 }),
    insertEncoded: async (batch, claim): Promise<AuditBatchResult> => {
      const lines: RowLine[] = [];
      const rows = parseAuditBatch(batch, lines);
      state.batches.push(lines);
      if (claim !== undefined && !state.lost) {
        taken.add(claim);
        rows.forEach((row, i) => {
          if (lines[i] !== ROW_LINE.NONE) state.threadWrote.push(row[0]);
        });
      }
      if (state.lost) throw new Error("the audit thread failed");
      if (state.failures > 0) {
        state.failures--;
        throw Object.assign(new Error("disk I/O error"), { code: "SQLITE_IOERR" });
      }
      return { written: rows.length, rejected: 0 };
    },
    threadLines: { open: () => ++claims, reclaim: (claim) => !taken.has(claim) },
    select: async () => [],
    prune: async () => 0,
    probe: async () => {},
  };
  return { store, state };
}

/** A writer over `store` with a relay whose loop-written lines are listed by request id. */
function writerOver(store: AuditStore, options: { maxQueue?: number } = {}) {
  const loopWrote: string[] = [];
  const relay = new AccessLineRelay(ROW_LINE.TEXT, (text) => {
    for (const match of text.matchAll(/request_id=(\S+)/g)) loopWrote.push(match[1] as string);
  });
  const writer = new AuditWriter({ store, lines: relay, flushMs: 60_000, retryMs: 1, ...options });
  /** As the access log asks: whether the row took the line (else the loop writes it). */
  const serve = (record: AuditRecord) => {
    writer.write(record);
    return relay.took(record);
  };
  return { writer, relay, serve, loopWrote };
}

test("a served row carries its line; a refused, failed or errored one does not", async () => {
  const { store, state } = lineStore();
  const { writer, serve } = writerOver(store);
  expect(serve(makeRecord({ requestId: "ok" }))).toBe(true);
  expect(serve(makeRecord({ requestId: "refused", status: 429, errorClass: "rate_limited" }))).toBe(false);
  expect(serve(makeRecord({ requestId: "failed", status: 502, errorClass: "upstream_error" }))).toBe(false);
  // Served, then an error mid-stream: its reason is the loop's.
  expect(serve(makeRecord({ requestId: "cut", status: 200, errorClass: "upstream_error" }))).toBe(false);
  await writer.flush();
  expect(state.batches).toEqual([[ROW_LINE.TEXT, 0, 0, 0]]);
  expect(state.threadWrote).toEqual(["ok"]);
});

test("a batch that fails after its thread wrote the lines is retried without them", async () => {
  const { store, state } = lineStore();
  const { writer, serve, loopWrote } = writerOver(store);
  state.failures = 1;
  serve(makeRecord({ requestId: "a" }));
  serve(makeRecord({ requestId: "b" }));
  await writer.flush();
  await writer.flush();
  expect(writer.stats()).toMatchObject({ healthy: true, written: 2, queued: 0 });
  expect(state.batches).toEqual([
    [ROW_LINE.TEXT, ROW_LINE.TEXT],
    [0, 0],
  ]);
  expect(state.threadWrote).toEqual(["a", "b"]);
  expect(loopWrote).toEqual([]);
});

test("lines of a batch no thread took are written by the loop, once; rows queued while storage fails carry none", async () => {
  const { store, state } = lineStore();
  const { writer, serve, loopWrote } = writerOver(store);
  state.lost = true;
  serve(makeRecord({ requestId: "a" }));
  serve(makeRecord({ requestId: "b" }));
  await writer.flush();
  expect(writer.healthy()).toBe(false);
  expect(loopWrote).toEqual(["a", "b"]);
  // Storage failing: the access log writes the line itself.
  expect(serve(makeRecord({ requestId: "c" }))).toBe(false);
  state.lost = false;
  await writer.flush();
  await writer.flush();
  expect(writer.stats()).toMatchObject({ healthy: true, written: 3, queued: 0 });
  expect(state.threadWrote).toEqual([]);
  expect(loopWrote).toEqual(["a", "b"]);
});

test("a row refused by a full queue leaves its line to the loop", async () => {
  const { store } = lineStore();
  const { writer, serve } = writerOver(store, { maxQueue: 1 });
  expect(serve(makeRecord({ requestId: "kept" }))).toBe(true);
  expect(serve(makeRecord({ requestId: "dropped" }))).toBe(false);
  expect(writer.stats().dropped).toBe(1);
  await writer.close();
  expect(serve(makeRecord({ requestId: "closed" }))).toBe(false);
});

test("a batch handed on without its claim (a store that does not pass it) has its lines written by the loop", async () => {
  const { store, state } = lineStore();
  const inner = store.insertEncoded?.bind(store);
  if (inner === undefined) throw new Error("the store takes bytes");
  const forgetful: AuditStore = { ...store, insertEncoded: (batch) => inner(batch) };
  const { writer, serve, loopWrote } = writerOver(forgetful);
  serve(makeRecord({ requestId: "a" }));
  await writer.flush();
  expect(state.threadWrote).toEqual([]);
  expect(loopWrote).toEqual(["a"]);
});

test("a record the writer is given resets the relay's word, so a later line of the same id is not skipped", async () => {
  const { store } = lineStore();
  const { writer, relay, serve } = writerOver(store, { maxQueue: 1 });
  // Served and queued with its line, but the access log never asked (a throw in between, say).
  writer.write(makeRecord({ requestId: "same" }));
  expect(serve(makeRecord({ requestId: "same", status: 429, errorClass: "rate_limited" }))).toBe(false);
  // Refused by the full queue: its line is the loop's too.
  writer.write(makeRecord({ requestId: "again" }));
  expect(relay.took(makeRecord({ requestId: "again" }))).toBe(false);
  await writer.close();
});

test("a stderr that fails does not fail the batch whose lines the loop writes", async () => {
  const { store } = lineStore();
  const inner = store.insertEncoded?.bind(store);
  if (inner === undefined) throw new Error("the store takes bytes");
  // No claim passed on: the batch is written, and its lines fall to the loop, whose stderr fails.
  const forgetful: AuditStore = { ...store, insertEncoded: (batch) => inner(batch) };
  const relay = new AccessLineRelay(ROW_LINE.TEXT, () => {
    throw Object.assign(new Error("EPIPE"), { code: "EPIPE" });
  });
  const writer = new AuditWriter({ store: forgetful, lines: relay, flushMs: 60_000 });
  writer.write(makeRecord({ requestId: "a" }));
  await writer.flush();
  expect(writer.stats()).toMatchObject({ healthy: true, written: 1, queued: 0 });
});
