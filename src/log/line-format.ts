import { escapedC1, printable, printableJson } from "../core/printable.ts";
import type { LogFields, LogLevel } from "./logger.ts";

/** A line's pieces before its `join`: strings, and integers the join writes itself. */
export type LineParts = (string | number)[];

/** Appends one line's parts from `parts[n]` on and returns the parts' new length. */
export type LineFormat = (
  parts: LineParts,
  n: number,
  time: string,
  level: LogLevel,
  message: string,
  fields: LogFields | undefined,
) => number;

/** Bare words stay bare in text lines; anything else is quoted so a line splits unambiguously. */
const BARE = /^[A-Za-z0-9._:/@+,-]+$/;

/**
 * A field's text, as the line's `join` takes it fastest. JSC joins an array of strings and int32s
 * on its fast path, writing the integers (counts, statuses: most of an access line) straight into
 * the line; one double or boolean among the parts sends the whole line down the generic path,
 * about twice the join's time (~0.3 µs an access line). So integers stay numbers, a boolean is its
 * literal text, and only a fractional number (a latency, a cost) becomes a string of its own.
 */
function textValue(value: unknown): string | number {
  if (typeof value === "string") return BARE.test(value) ? value : printableJson(value);
  if (typeof value === "number") return (value | 0) === value ? value : String(value);
  if (typeof value === "boolean") return value ? "true" : "false";
  if (Array.isArray(value)) return textValue(value.join(","));
  return typeof value === "object" && value !== null ? printableJson(value) : printable(String(value));
}

/** The text after the point of k thousandths (1–999), trailing zeros dropped: ".001" … ".5" … ".999". */
const FRACTIONS: readonly string[] = Array.from({ length: 1000 }, (_, k) =>
  k === 0 ? "" : `.${String(k).padStart(3, "0").replace(/0+$/, "")}`,
);

/**
 * A positive number of at most three decimals (an access line's latencies: the ledger rounds them
 * so) in thousandths, else -1. Such a number is written as its whole part (an int32, which the
 * join writes itself) and its fraction's text from `FRACTIONS`: what `String` makes of it (the
 * shortest text that reads back as the number: for k / 1000 below 2^31 thousandths, the decimal
 * itself), without the shortest-representation conversion a fractional number otherwise costs
 * (~150 ns each, two a request) and without a string of its own.
 */
function thousandths(value: number): number {
  const k = Math.round(value * 1000);
  return k > 0 && k <= 0x7fffffff && k / 1000 === value ? k : -1;
}

/**
 * ` key=` per field name, built once: field names are a handful of literals. A `Map`, not an
 * object: each new name added to an object changed its shape, and JSC threw away the line's
 * optimised code, which watched that shape, whenever a name was first seen (a rare warning's
 * field, late in a process's life: session 14's bench/jit-compiles.ts counts).
 */
const PREFIXES = new Map<string, string>();

function prefixOf(key: string): string {
  let prefix = PREFIXES.get(key);
  if (prefix === undefined) {
    prefix = ` ${key}=`;
    PREFIXES.set(key, prefix);
  }
  return prefix;
}

/**
 * `time level message k=v …\n` as parts, from `parts[n]` on; returns the parts' new length. The
 * caller joins them: one line at a time, or a whole batch of lines in one `join` (batched-write.ts).
 */
export const textLine: LineFormat = (parts, n, time, level, message, fields) => {
  // One event, one line: names from clients and workers cannot forge another line or move the
  // cursor (fields are quoted as JSON unless they are bare words, with DEL and the C1 controls,
  // which JSON leaves raw, escaped too: `escapedC1`).
  parts[n++] = time;
  parts[n++] = " ";
  parts[n++] = level;
  parts[n++] = " ";
  parts[n++] = printable(message);
  // for…in, not Object.entries: no array of pairs per line (this runs once per request).
  if (fields)
    for (const key in fields) {
      const value = fields[key];
      if (value === undefined) continue;
      const milli = typeof value === "number" && (value | 0) !== value ? thousandths(value) : -1;
      const text = milli < 0 ? textValue(value) : "";
      parts[n++] = prefixOf(key);
      if (milli < 0) parts[n++] = text;
      else {
        parts[n++] = (milli / 1000) | 0;
        parts[n++] = FRACTIONS[milli % 1000] as string;
      }
    }
  parts[n++] = "\n";
  return n;
};

/**
 * `{"time":…,"level":…,"msg":…, fields}\n`: one object a line (see `textLine`), with DEL and the
 * C1 controls JSON leaves raw written as escapes (`escapedC1`: U+009B is a terminal's CSI, U+0085
 * a line break to some readers), so that the line parses back to the same values. The fields are
 * stringified as they are and spliced in after `msg`, not spread into a new object first: the
 * copy of an access line's 16 fields was about a third of its line (~200 ns). The same text as
 * the spread's, bar a field named like an integer (an object lists those first); fields that name
 * `time`, `level` or `msg` or carry a `toJSON` take the spread.
 */
export const jsonLine: LineFormat = (parts, n, time, level, message, fields) => {
  // A member the line names itself, or a `toJSON` (the spread's copy would stringify as it says).
  const spread =
    fields !== undefined && ("time" in fields || "level" in fields || "msg" in fields || "toJSON" in fields);
  if (spread) {
    parts[n++] = printableJson({ time, level, msg: message, ...fields });
  } else {
    const rest = fields === undefined ? "{}" : JSON.stringify(fields);
    // The time is ISO text and the level a word: neither needs escaping.
    parts[n++] = '{"time":"';
    parts[n++] = time;
    parts[n++] = '","level":"';
    parts[n++] = level;
    parts[n++] = '","msg":';
    parts[n++] = printableJson(message);
    parts[n++] = rest.length === 2 ? "}" : ",";
    if (rest.length > 2) parts[n++] = escapedC1(rest.slice(1));
  }
  parts[n++] = "\n";
  return n;
};
