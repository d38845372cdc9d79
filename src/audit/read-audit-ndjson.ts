import { messageOf } from "../core/describe-error.ts";
import type { AuditRecord } from "./audit-record.ts";
import { auditRecordSchema } from "./audit-record-schema.ts";
import { auditRowProblem } from "./audit-row-problem.ts";
import { STDERR_ROW_KEY, STDERR_ROWS_BEGIN, STDERR_ROWS_END } from "./unwritten-rows.ts";

/** One line that is no audit row: its number in the text (from 1) and what is wrong with it. */
export interface BadAuditLine {
  readonly line: number;
  readonly problem: string;
}

/** How many bad lines an error lists: enough to see a pattern, not a screenful of one. */
const LISTED = 10;

/** The bad lines, as a message lists them: the first ten, each on its own line, and a count of the rest. */
export function listBadLines(bad: readonly BadAuditLine[]): string {
  const listed = bad.slice(0, LISTED).map(({ line, problem }) => `\n  line ${line}: ${problem}`);
  const more = bad.length > LISTED ? `\n  … and ${bad.length - LISTED} more` : "";
  return `${bad.length === 1 ? "1 line is" : `${bad.length} lines are`} not an audit row:${listed.join("")}${more}`;
}

/** The text held lines that are no audit rows: nothing of it is to be taken. */
export class AuditNdjsonError extends Error {
  constructor(readonly bad: readonly BadAuditLine[]) {
    super(listBadLines(bad));
  }
}

/** What a text's lines hold: the records of its good lines, and its bad lines. */
export interface AuditLines {
  readonly records: AuditRecord[];
  readonly bad: BadAuditLine[];
}

/** A numbered line that should hold one record. */
interface RowLine {
  readonly line: number;
  readonly text: string;
}

/**
 * The records of NDJSON as `mindgw audit export` writes it, one `AuditRecord` a line (blank lines
 * skipped), or of a stop's rows on stderr (`readAuditLines`). Every line is checked before any is
 * returned: one bad line throws `AuditNdjsonError` naming every bad line.
 */
export function readAuditNdjson(text: string): AuditRecord[] {
  const { records, bad } = readAuditLines(text);
  if (bad.length > 0) throw new AuditNdjsonError(bad);
  return records;
}

/**
 * Every line of the text read: the records of the good ones, and what is wrong with each bad one,
 * for an import that takes what it can (`--skip-bad`: a journal splits a line longer than its
 * `LineMax` in pieces, none of them a row). When the text has the line `STDERR_ROWS_BEGIN`, only
 * the lines between it and `STDERR_ROWS_END` are rows, so a journal excerpt can be given as it is,
 * each line's prefix (`journalctl`'s time and unit) before its `{` dropped and its row unwrapped
 * (`STDERR_ROW_KEY`, taken on any line: a shipper's copy may lack the markers); an excerpt cut before
 * its end line is bad at its begin line, its rows read all the same.
 */
export function readAuditLines(text: string): AuditLines {
  const lines = text.split("\n");
  const { rows, cut } = lines.some((line) => line.includes(STDERR_ROWS_BEGIN))
    ? stderrRows(lines)
    : fileRows(lines);
  const records: AuditRecord[] = [];
  const bad: BadAuditLine[] = cut ? [cut] : [];
  for (const { line, text } of rows) {
    const parsed = parseRow(text);
    if (typeof parsed === "string") bad.push({ line, problem: parsed });
    else records.push(parsed);
  }
  return { records, bad };
}

/** The lines that should hold rows; `cut` when the stop's end line is missing. */
interface RowLines {
  readonly rows: RowLine[];
  readonly cut?: BadAuditLine;
}

function fileRows(lines: readonly string[]): RowLines {
  const rows: RowLine[] = [];
  lines.forEach((text, i) => {
    if (text.trim() !== "") rows.push({ line: i + 1, text });
  });
  return { rows };
}

function stderrRows(lines: readonly string[]): RowLines {
  const rows: RowLine[] = [];
  let begun: number | null = null;
  lines.forEach((text, i) => {
    if (text.includes(STDERR_ROWS_BEGIN)) begun = i + 1;
    else if (text.includes(STDERR_ROWS_END)) begun = null;
    else if (begun !== null && text.trim() !== "")
      rows.push({ line: i + 1, text: text.slice(Math.max(0, text.indexOf("{"))) });
  });
  if (begun === null) return { rows };
  const problem = `the rows begun here have no end line ("${STDERR_ROWS_END}"): the excerpt is cut short`;
  return { rows, cut: { line: begun, problem } };
}

/** The line's record, or what is wrong with it. */
function parseRow(text: string): AuditRecord | string {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return `not JSON (${messageOf(error)})`;
  }
  const row = unwrapped(json);
  const parsed = auditRecordSchema.safeParse(row);
  return parsed.success ? parsed.data : auditRowProblem(parsed.error, row);
}

/** A row as stderr wrapped it (`STDERR_ROW_KEY`), unwrapped; any other JSON as it is. */
function unwrapped(json: unknown): unknown {
  if (typeof json !== "object" || json === null || !(STDERR_ROW_KEY in json)) return json;
  return Object.keys(json).length === 1 ? (json as Record<string, unknown>)[STDERR_ROW_KEY] : json;
}
