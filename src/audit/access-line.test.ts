import { expect, test } from "bun:test";
import { createLogger, type LogFormat } from "../log/logger.ts";
import { accessLog } from "../telemetry/access-log.ts";
import { accessLines, rowLineOf } from "./access-line.ts";
import { makeRecord } from "./audit-fixture.ts";
import type { AuditRecord } from "./audit-record.ts";
import { AuditRowWriter } from "./audit-row-bytes.ts";
import type { RowLine } from "./audit-row-layout.ts";
import { parseAuditBatch } from "./audit-row-reader.ts";

const records: AuditRecord[] = [
  makeRecord({ requestId: "a1" }),
  makeRecord({ requestId: "a2", keyName: null, tenant: null, ttfbMs: null, costUsd: 0, stream: true }),
  makeRecord({
    requestId: 'q"uote\nnew line',
    keyName: "ключ ✓ 🗝",
    model: "m with spaces",
    route: "worker:w=1",
    latencyMs: 1234.567,
    ttfbMs: 0.001,
    costUsd: 1.5e-7,
    startedAt: 1_700_000_000_999,
  }),
  makeRecord({ requestId: "a4", model: null, route: null, upstreamModel: null, latencyMs: 3, ttfbMs: 3 }),
  makeRecord({ requestId: "a5", latencyMs: 2 ** 31 + 0.5, inputTokens: 2 ** 40, outputTokens: 0 }),
  makeRecord({ requestId: "a6", app: "billing" }),
];

/** The lines the event loop's logger writes for `records` (a caller's own `write`: formatted at once). */
function loopLines(format: LogFormat): string {
  const lines: string[] = [];
  const log = accessLog(createLogger({ format, write: (line) => lines.push(line) }));
  for (const record of records) log(record);
  return lines.join("");
}

/** The lines an audit thread writes from the same records' row bytes, each row carrying its line. */
function threadLines(format: LogFormat): string {
  const writer = new AuditRowWriter(64);
  for (const record of records) writer.put(record, rowLineOf(format));
  const lines: RowLine[] = [];
  const rows = parseAuditBatch(writer.bytes.subarray(0, writer.used), lines);
  return accessLines(rows, lines);
}

test("the audit thread's access lines are the event loop's, byte for byte, in both formats", () => {
  for (const format of ["text", "json"] as const) {
    const loop = loopLines(format);
    expect(loop.split("\n")).toHaveLength(records.length + 1);
    expect(threadLines(format)).toBe(loop);
  }
});

test("an access line's time is its request's end, on either path", () => {
  const loop = loopLines("json").split("\n");
  // 1_700_000_000_999 + 1234.567 ms: the millisecond of the end, a fraction dropped.
  expect(JSON.parse(loop[2] as string).time).toBe(new Date(1_700_000_002_233).toISOString());
  expect(JSON.parse(loop[0] as string).time).toBe(new Date(1_700_000_000_012).toISOString());
});

test("rows that carry no line give none", () => {
  const writer = new AuditRowWriter(64);
  writer.put(records[0] as AuditRecord);
  writer.put(records[1] as AuditRecord, rowLineOf("text"));
  writer.put(records[3] as AuditRecord);
  const lines: RowLine[] = [];
  const rows = parseAuditBatch(writer.bytes.subarray(0, writer.used), lines);
  expect(lines).toEqual([0, 1, 0]);
  expect(accessLines(rows, lines)).toMatch(/^\S+ info request request_id=a2 .*\n$/);
  expect(accessLines(rows, [0, 0, 0])).toBe("");
});

test("a JWT caller's line names it by its subject id, an API key of the same name by its name", () => {
  const writer = new AuditRowWriter(64);
  writer.put(makeRecord({ requestId: "by-key", keyId: "key_1", keyName: "dup" }), rowLineOf("json"));
  writer.put(makeRecord({ requestId: "by-jwt", keyId: "jwt:acme:dup", keyName: "dup" }), rowLineOf("json"));
  const lines: RowLine[] = [];
  const rows = parseAuditBatch(writer.bytes.subarray(0, writer.used), lines);
  const keys = accessLines(rows, lines)
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line).key);
  expect(keys).toEqual(["dup", "jwt:acme:dup"]);
});

test("a request through an app names it, after its front door; one at the root's has no app field", () => {
  const lines = loopLines("json")
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  const throughApp = lines.find((line) => line.request_id === "a6");
  expect(Object.keys(throughApp ?? {}).slice(3, 6)).toEqual(["request_id", "front_door", "app"]);
  expect(throughApp?.app).toBe("billing");
  expect(lines.find((line) => line.request_id === "a1")).not.toHaveProperty("app");
  expect(loopLines("text")).toContain(" request request_id=a6 front_door=chat app=billing key=ci ");
});

test("an access line's cost is shown without a float product's noise, on either path", () => {
  // 17 tokens at $0.15 a million: 0.0000025499999999999997 as multiplied.
  const noisy = makeRecord({ requestId: "noisy", costUsd: (17 * 0.15) / 1e6 });
  const logged: string[] = [];
  accessLog(createLogger({ format: "json", write: (line) => logged.push(line) }))(noisy);
  const writer = new AuditRowWriter(64);
  writer.put(noisy, rowLineOf("json"));
  const lines: RowLine[] = [];
  const thread = accessLines(parseAuditBatch(writer.bytes.subarray(0, writer.used), lines), lines);
  for (const line of [logged.join(""), thread]) {
    expect(line).toContain('"cost_usd":0.00000255}');
    expect(JSON.parse(line).cost_usd).toBe(0.00000255);
  }
});
