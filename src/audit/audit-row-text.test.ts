import { expect, test } from "bun:test";
import { makeRecord } from "./audit-fixture.ts";
import type { AuditRecord } from "./audit-record.ts";
import {
  decodeAuditRows,
  encodeAuditBatch,
  encodeAuditRow,
  FIELD,
  parseAuditBatch,
} from "./audit-row-text.ts";

// Every field set: a field added to AuditRecord fails to compile here until it is listed, and
// then fails the round trip until the encoding carries it.
const whole: Required<AuditRecord> = {
  ...makeRecord({ requestId: "req_whole", errorClass: "upstream_error", status: 502, stream: true }),
  errorMessage: 'upstream said "no"\n',
  dropped: "logprobs, seed",
  attempts: [
    {
      route: "provider:a",
      upstreamModel: "m",
      outcome: "failed",
      status: 503,
      errorClass: "upstream_error",
      durationMs: 1.5,
    },
  ],
  node: "node-a",
  servedNode: "node-b",
  requestBody: '{"model":"m"}',
  responseBody: "ünïcødé ✓",
};

test("a record's text reads back field for field, every field set", () => {
  expect(decodeAuditRows(encodeAuditBatch([whole]))).toEqual([whole]);
});

test("a parsed batch holds each field at its FIELD index, as the audit thread binds it", () => {
  const [row] = parseAuditBatch(encodeAuditBatch([whole]));
  expect(Object.keys(FIELD).sort()).toEqual(Object.keys(whole).sort());
  for (const [name, index] of Object.entries(FIELD))
    expect([name, row?.[index]]).toEqual([name, whole[name as keyof AuditRecord]]);
  expect(row).toHaveLength(Object.keys(FIELD).length);
});

test("a record without its optional fields reads back with them null, in batch order", () => {
  const plain = makeRecord({ requestId: "req_plain", ttfbMs: null, keyId: null });
  const [first, second] = decodeAuditRows(encodeAuditBatch([plain, whole]));
  expect(first).toEqual({
    ...plain,
    errorMessage: null,
    dropped: null,
    attempts: null,
    node: null,
    servedNode: null,
    requestBody: null,
    responseBody: null,
  });
  expect(second).toEqual(whole);
});

test("the one ok attempt on the row's own route and model is written as its duration and read back as the list", () => {
  const attempt = { outcome: "ok" as const, status: null, errorClass: null, durationMs: 0.6100000000000001 };
  const sole = makeRecord({
    requestId: "req_sole",
    attempts: [{ route: "provider:openai", upstreamModel: "gpt-4o-mini-2024-07-18", ...attempt }],
  });
  const elsewhere = makeRecord({
    requestId: "req_elsewhere",
    attempts: [{ route: "provider:other", upstreamModel: "gpt-4o-mini-2024-07-18", ...attempt }],
  });
  const [soleRow, elsewhereRow] = parseAuditBatch(encodeAuditBatch([sole, elsewhere]));
  expect(soleRow?.[FIELD.attempts]).toBe(0.6100000000000001);
  expect(elsewhereRow?.[FIELD.attempts]).toEqual(elsewhere.attempts ?? null);
  expect(encodeAuditRow(sole)).not.toContain("upstreamModel");
  const [first, second] = decodeAuditRows(encodeAuditBatch([sole, elsewhere]));
  expect(first?.attempts).toEqual(sole.attempts ?? null);
  expect(second?.attempts).toEqual(elsewhere.attempts ?? null);
});

test("the text carries no field names", () => {
  const record = makeRecord();
  expect(encodeAuditRow(record).length).toBeLessThan(JSON.stringify(record).length * 0.7);
});
