import { printable } from "../core/printable.ts";
import { batchedWrite } from "./batched-write.ts";

export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ["text", "json"] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** Structured detail for one line; a field whose value is undefined is left out. */
export type LogFields = Readonly<Record<string, unknown>>;

/**
 * One line per event on stderr. Callers never pass secrets; see SPEC "Secrets never go in a log
 * line". The gateway and the worker write through the same implementation, so both honour
 * `log.format` and `log.level` alike.
 */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

export interface LoggerOptions {
  /** `text`: `time level message k=v …`; `json`: one object per line (`time`, `level`, `msg`, fields). */
  format?: LogFormat;
  /** Lines below this level are dropped. */
  level?: LogLevel;
  /** Where lines go; `soon` marks a warning or an error (batchedWrite writes those at the turn's end). */
  write?: (line: string, soon: boolean) => void;
  now?: () => Date;
}

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };
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
  if (typeof value === "string") return BARE.test(value) ? value : JSON.stringify(value);
  if (typeof value === "number") return (value | 0) === value ? value : String(value);
  if (typeof value === "boolean") return value ? "true" : "false";
  if (Array.isArray(value)) return textValue(value.join(","));
  return typeof value === "object" && value !== null ? JSON.stringify(value) : String(value);
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
 * object: each new name added to an object changed its shape, and JSC threw away `joined`'s
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
 * The parts of the line being built, reused: one `join` makes the line, where appending part by
 * part left a rope node and a short string per field behind (garbage the access line made on
 * every request). A line built while another is (a field's `toJSON` that logs) gets its own.
 */
const shared: (string | number)[] = [];
let building = false;

function textLine(time: string, level: LogLevel, message: string, fields: LogFields | undefined): string {
  const parts = building ? [] : shared;
  const owner = !building;
  building = true;
  try {
    return joined(parts, time, level, message, fields);
  } finally {
    if (owner) building = false;
  }
}

function joined(
  parts: (string | number)[],
  time: string,
  level: LogLevel,
  message: string,
  fields: LogFields | undefined,
): string {
  // One event, one line: names from clients and workers cannot forge another line or move the
  // cursor (fields are quoted as JSON unless they are bare words; JSON lines escape by themselves).
  let n = 0;
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
  parts.length = n;
  return parts.join("");
}

function jsonLine(time: string, level: LogLevel, message: string, fields: LogFields | undefined): string {
  return `${JSON.stringify({ time, level, msg: message, ...fields })}\n`;
}

/** The current time as ISO text, formatted at most once a millisecond (lines come in bursts). */
function isoNow(): () => string {
  let lastMs = -1;
  let text = "";
  return () => {
    const ms = Date.now();
    if (ms !== lastMs) {
      lastMs = ms;
      text = new Date(ms).toISOString();
    }
    return text;
  };
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const write = options.write ?? batchedWrite();
  const now = options.now;
  const stamp = now ? () => now().toISOString() : isoNow();
  const format = options.format === "json" ? jsonLine : textLine;
  const threshold = RANK[options.level ?? "info"];
  const at = (level: LogLevel) =>
    RANK[level] < threshold
      ? () => {}
      : (message: string, fields?: LogFields) =>
          write(format(stamp(), level, message, fields), RANK[level] >= RANK.warn);
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
