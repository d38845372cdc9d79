import type { SQL } from "bun";
import { storableText } from "./postgres-text.ts";

/**
 * One field in COPY's text format: `\\N` for null, backslash escapes for the separators, a NUL,
 * which no PostgreSQL text holds, as U+FFFD (postgres-text.ts).
 */
function field(value: unknown): string {
  if (value === null || value === undefined) return "\\N";
  const text = typeof value === "string" ? storableText(value) : String(value);
  return /[\\\t\n\r]/.test(text) ? text.replace(/[\\\t\n\r]/g, escapeChar) : text;
}

const ESCAPES: Record<string, string> = { "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r" };
const escapeChar = (char: string) => ESCAPES[char] ?? char;

/**
 * Streams rows into `table` with `COPY … FROM STDIN` (text format) on `sql` (a transaction,
 * usually). `rows` calls `push` once per row with the values in `columns` order. Rejects with the
 * server's error (a refused value, say) when the server does not store them.
 */
export async function copyRows(
  sql: SQL,
  table: string,
  columns: readonly string[],
  rows: (push: (values: readonly unknown[]) => void) => void,
): Promise<void> {
  const lines: string[] = [];
  rows((values) => {
    lines.push(values.map(field).join("\t"));
  });
  if (lines.length === 0) return;
  const writer = sql
    .unsafe(`COPY ${table} (${columns.join(", ")}) FROM STDIN`)
    .writable()
    .getWriter();
  try {
    await writer.write(`${lines.join("\n")}\n`);
  } catch (error) {
    await writer.abort(error).catch(() => {});
    throw error;
  }
  await writer.close();
}
