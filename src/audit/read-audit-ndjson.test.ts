import { expect, test } from "bun:test";
import { ndjsonLine } from "./audit-export.ts";
import { makeRecord } from "./audit-fixture.ts";
import { AuditNdjsonError, readAuditLines, readAuditNdjson } from "./read-audit-ndjson.ts";
import { STDERR_ROW_KEY, STDERR_ROWS_BEGIN, STDERR_ROWS_END } from "./unwritten-rows.ts";

const records = [
  makeRecord({ requestId: "r1" }),
  makeRecord({
    requestId: "r2",
    keyId: null,
    keyName: null,
    errorMessage: "upstream answered 503",
    attempts: [
      {
        route: "provider:a",
        upstreamModel: "m",
        outcome: "failed",
        status: 503,
        errorClass: "upstream_error",
        durationMs: 4,
      },
    ],
    requestBody: '{"q":"\\n"}',
  }),
];
const ndjson = records.map(ndjsonLine).join("");

function badLines(text: string): AuditNdjsonError {
  try {
    readAuditNdjson(text);
  } catch (error) {
    if (error instanceof AuditNdjsonError) return error;
    throw error;
  }
  throw new Error("read without an error");
}

test("an export's lines read back as the records written, blank lines skipped", () => {
  expect(readAuditNdjson(ndjson)).toEqual(records);
  expect(readAuditNdjson(`\n${ndjson}\n\n`)).toEqual(records);
  expect(readAuditNdjson("")).toEqual([]);
});

test("stderr's rows: only the lines between the markers, each line's journal prefix dropped", () => {
  const prefix = "Dec 05 03:30:00 host mindgw[4242]: ";
  const journal = [
    `${prefix}stop: audit storage is failing (disk I/O error); retrying for up to 30 s`,
    `${prefix}${STDERR_ROWS_BEGIN}`,
    ...ndjson
      .trimEnd()
      .split("\n")
      .map((line) => `${prefix}${line}`),
    `${prefix}${STDERR_ROWS_END}`,
    `${prefix}stop: the audit failed: 2 audit rows could not be written`,
  ].join("\n");
  expect(readAuditNdjson(journal)).toEqual(records);
  // As written, without a prefix (`journalctl -o cat`, or stderr to a file).
  expect(readAuditNdjson(`noise\n${STDERR_ROWS_BEGIN}\n${ndjson}${STDERR_ROWS_END}\n`)).toEqual(records);
});

test("stderr's rows wrapped under their one key are unwrapped, with or without the markers", () => {
  const wrapped = records.map((record) => `${JSON.stringify({ [STDERR_ROW_KEY]: record })}\n`).join("");
  expect(readAuditNdjson(`x\n${STDERR_ROWS_BEGIN}\n${wrapped}${STDERR_ROWS_END}\n`)).toEqual(records);
  // A log shipper's copy of the lines alone.
  expect(readAuditNdjson(wrapped)).toEqual(records);
  // The key beside another is no wrapped row.
  const bad = badLines(JSON.stringify({ [STDERR_ROW_KEY]: records[0], level: "info" }));
  expect(bad.bad.map((line) => line.line)).toEqual([1]);
});

test("a bad line is named by its number with what is wrong, and nothing is read", () => {
  const lines = ndjson.trimEnd().split("\n");
  const text = [
    lines[0],
    '{"requestId": "r3"',
    JSON.stringify({ ...records[0], costUsd: "0.1" }),
    lines[1],
    JSON.stringify({ ...records[0], frontDoor: "side" }),
  ].join("\n");
  const error = badLines(text);
  expect(error.bad.map((bad) => bad.line)).toEqual([2, 3, 5]);
  expect(error.bad[0]?.problem).toStartWith("not JSON");
  expect(error.bad[1]?.problem).toStartWith("costUsd: ");
  expect(error.bad[2]?.problem).toStartWith("frontDoor: ");
  expect(error.message).toStartWith("3 lines are not an audit row:\n  line 2: not JSON");
});

test("a record missing a field is named with the field", () => {
  const { status: _status, ...noStatus } = records[0]!;
  const error = badLines(JSON.stringify(noStatus));
  expect(error.message).toBe("1 line is not an audit row:\n  line 1: missing status");
});

test("an excerpt cut before the end marker is refused, naming the marker's line", () => {
  const error = badLines(`x\n${STDERR_ROWS_BEGIN}\n${ndjson}`);
  expect(error.bad).toEqual([
    {
      line: 2,
      problem: `the rows begun here have no end line ("${STDERR_ROWS_END}"): the excerpt is cut short`,
    },
  ]);
});

test("the error lists the first ten bad lines and counts the rest", () => {
  const error = badLines(Array.from({ length: 25 }, () => "nope").join("\n"));
  expect(error.bad).toHaveLength(25);
  expect(error.message.split("\n")).toHaveLength(12);
  expect(error.message).toEndWith("… and 15 more");
});

test("a journal that split a long row in pieces: the other rows are read, each piece named as a bad line", () => {
  const prefix = "Dec 05 03:30:00 host mindgw[4242]: ";
  const [first, second] = ndjson.trimEnd().split("\n") as [string, string];
  // journald cuts a line longer than its LineMax into entries of LineMax bytes each.
  const pieces = [second.slice(0, 60), second.slice(60)];
  const journal = [
    `${prefix}${STDERR_ROWS_BEGIN}`,
    `${prefix}${first}`,
    ...pieces.map((piece) => `${prefix}${piece}`),
    `${prefix}${STDERR_ROWS_END}`,
  ].join("\n");
  const { records: read, bad } = readAuditLines(journal);
  expect(read).toEqual(records.slice(0, 1));
  expect(bad.map((line) => line.line)).toEqual([3, 4]);
  expect(bad[0]?.problem).toStartWith("not JSON");
});

test("an excerpt cut before the end marker: its rows are read, the marker's line named as bad", () => {
  const { records: read, bad } = readAuditLines(`x\n${STDERR_ROWS_BEGIN}\n${ndjson}`);
  expect(read).toEqual(records);
  expect(bad.map((line) => line.line)).toEqual([2]);
});
