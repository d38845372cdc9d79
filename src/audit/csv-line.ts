import { printableLines } from "../core/printable.ts";

/** What a spreadsheet reads as the start of a formula (OWASP: CSV injection). */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * A value as one RFC 4180 field: quoted only when it holds a comma, quote, CR or LF. Text that
 * a spreadsheet would run as a formula (a `User-Agent` of `=HYPERLINK(...)`) gets a leading `'`,
 * which spreadsheets show as text; numbers are numbers and stay as they are. Control characters
 * but tab, CR and LF (which the quoting carries) are written as their escape (ESC as `\u001b`):
 * an export read in a terminal must not run a key name's escape sequences.
 */
export function csvField(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return "";
  const raw = typeof value === "string" ? printableLines(value) : String(value);
  const text = typeof value === "string" && FORMULA_START.test(raw) ? `'${raw}` : raw;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One CSV record, CRLF-terminated as RFC 4180 asks. */
export function csvLine(values: readonly (string | number | boolean | null | undefined)[]): string {
  return `${values.map(csvField).join(",")}\r\n`;
}
