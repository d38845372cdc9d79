import { expect, test } from "bun:test";
import { ABSENT_AS_NULL, makeRecord } from "./audit-fixture.ts";
import type { AuditRecord } from "./audit-record.ts";
import { AuditRowWriter, encodeAuditBatch } from "./audit-row-bytes.ts";
import { FIELD } from "./audit-row-fields.ts";
import { decodeAuditRows, parseAuditBatch } from "./audit-row-reader.ts";

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
    {
      route: "provider:gm",
      upstreamModel: "gemini-2.5-flash",
      outcome: "failed",
      status: 502,
      errorClass: "upstream_error",
      durationMs: 2.25,
      billed: { inputTokens: 40, outputTokens: 10, costUsd: 0.000037 },
    },
  ],
  node: "node-a",
  servedNode: "node-b",
  app: "team-a-app",
  requestBody: '{"model":"m"}',
  responseBody: "ünïcødé ✓",
};

test("a record's bytes read back field for field, every field set", () => {
  expect(decodeAuditRows(encodeAuditBatch([whole]))).toEqual([whole]);
});

test("a parsed batch holds each field at its FIELD index, as the audit thread binds it", () => {
  const [row] = parseAuditBatch(encodeAuditBatch([whole]));
  expect(Object.keys(FIELD).sort()).toEqual(Object.keys(whole).sort());
  // A body as its UTF-8, which the thread binds as it is (no string of it made there).
  const text = (value: unknown) => (value instanceof Uint8Array ? new TextDecoder().decode(value) : value);
  for (const [name, index] of Object.entries(FIELD))
    expect([name, text(row?.[index])]).toEqual([name, whole[name as keyof AuditRecord]]);
  expect(row?.[FIELD.requestBody]).toBeInstanceOf(Uint8Array);
  expect(row).toHaveLength(Object.keys(FIELD).length);
});

test("a record without its optional fields reads back with them null, in batch order", () => {
  const plain = makeRecord({ requestId: "req_plain", ttfbMs: null, keyId: null });
  const [first, second] = decodeAuditRows(encodeAuditBatch([plain, whole]));
  expect(first).toEqual({ ...plain, ...ABSENT_AS_NULL });
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
  // The route once, the row's own: the attempt is no list repeating it.
  expect(
    Buffer.from(encodeAuditBatch([sole]))
      .toString("latin1")
      .split("provider:openai"),
  ).toHaveLength(2);
  const [first, second] = decodeAuditRows(encodeAuditBatch([sole, elsewhere]));
  expect(first?.attempts).toEqual(sole.attempts ?? null);
  expect(second?.attempts).toEqual(elsewhere.attempts ?? null);
});

test("an app's name is written once in a run of its rows, then a byte a row; a row without one is a byte", () => {
  const rows = ["r1", "r2", "r3"].map((requestId) => makeRecord({ requestId, app: "billing-app" }));
  const bytes = encodeAuditBatch(rows);
  expect(Buffer.from(bytes).toString("latin1").split("billing-app")).toHaveLength(2);
  expect(decodeAuditRows(bytes).map((r) => r.app)).toEqual(["billing-app", "billing-app", "billing-app"]);
  const plain = makeRecord({ requestId: "r0" });
  expect(encodeAuditBatch([{ ...plain, app: null }])).toEqual(encodeAuditBatch([plain]));
});

test("strings go as they are: quotes, escapes, every plane, empty beside null, long bodies", () => {
  const odd = makeRecord({
    requestId: 'req_"quoted"\\back\n',
    keyName: "",
    tenant: null,
    userAgent: "agent \u0000 nul \u2028 sep 😀 ✓ ünï",
    errorMessage: "",
    requestBody: `{"big":"${"é😀x".repeat(200_000)}"}`,
    responseBody: "",
    ttfbMs: null,
    costUsd: 0,
    latencyMs: 1e-300,
  });
  const bytes = encodeAuditBatch([odd, whole, odd]);
  expect(decodeAuditRows(bytes)).toEqual([
    { ...odd, dropped: null, attempts: null, node: null, servedNode: null, app: null },
    whole,
    { ...odd, dropped: null, attempts: null, node: null, servedNode: null, app: null },
  ]);
  // Written in place, not escaped as JSON text would have it.
  expect(Buffer.from(bytes).includes('req_"quoted"\\back\n')).toBe(true);
});

test("the writer's rows read back after its buffer grew, and after it was cut to them", () => {
  const writer = new AuditRowWriter(16);
  const records = Array.from({ length: 50 }, (_, i) => ({
    ...whole,
    requestId: `r${i}`,
    userAgent: "ü".repeat(i),
  }));
  for (const record of records) writer.put(record);
  expect(decodeAuditRows(writer.written())).toEqual(records);
  writer.trim(16);
  expect(writer.bytes.length).toBe(writer.used);
  expect(decodeAuditRows(writer.written())).toEqual(records);
  writer.clear(16);
  writer.put(whole);
  expect(decodeAuditRows(writer.written())).toEqual([whole]);
});

test("a long text takes room for its UTF-8 alone, and a buffer outgrown or given up is freed at once", () => {
  const writer = new AuditRowWriter(64 * 1024);
  const first = writer.bytes.buffer;
  // 4 MB of a prompt, a few characters of it two or three bytes long.
  const body = `ünï✓${"x".repeat(4 << 20)}`;
  writer.put({ ...whole, requestBody: body, responseBody: null });
  // Three bytes a character grew the buffer to 16 MB for a row of 4.
  expect(writer.bytes.length).toBeLessThan(2 * writer.used);
  // Its bytes moved into the larger buffer: the first is detached, its memory freed with it.
  expect(first.byteLength).toBe(0);
  expect(decodeAuditRows(writer.written())[0]?.requestBody).toBe(body);
  const grown = writer.bytes.buffer;
  writer.clear(1024 * 1024);
  expect(grown.byteLength).toBe(0);
  expect(writer.bytes.length).toBe(64 * 1024);
});

test("a batch that is not the writer's bytes is refused, not read as a row", () => {
  expect(() => parseAuditBatch(new Uint8Array([9, 9, 9]))).toThrow(/audit batch/);
});
