import { batchedWrite, type LineBatch } from "./batched-write.ts";
import { isoTime } from "./iso-time.ts";
import { jsonLine, type LineFormat, type LineParts, textLine } from "./line-format.ts";

export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ["text", "json"] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/**
 * Structured detail for one line; a field whose value is undefined is left out. Names are
 * snake_case (`request_id`, `in_flight`), the gateway's and the worker's alike: one log pipeline
 * reads both processes' lines (test/e2e/observability-logs.test.ts checks every key).
 */
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

/**
 * The parts of a line formatted at once, reused: one `join` makes the line. A line built while
 * another is (a field's `toJSON` that logs) gets its own.
 */
const shared: LineParts = [];
let building = false;

function lineOf(
  format: LineFormat,
  time: string,
  level: LogLevel,
  message: string,
  fields: LogFields | undefined,
) {
  const parts = building ? [] : shared;
  const owner = !building;
  building = true;
  try {
    parts.length = format(parts, 0, time, level, message, fields);
    return parts.join("");
  } catch (error) {
    // A field no line can hold (a bigint in JSON, a cycle): the event is still told, at its level,
    // and the call that logged it is not thrown into (a logger's call never throws: guarded-logger.ts).
    parts.length = format(parts, 0, time, level, message, unserialisable(error, fields));
    return parts.join("");
  } finally {
    if (owner) building = false;
  }
}

/**
 * The fields of a line whose own could not be written: why, in their place, after those of its
 * own that are a string, a number or a boolean (its `request_id`, which finds the request).
 */
const unserialisable = (error: unknown, fields: LogFields | undefined): LogFields => ({
  ...plainOf(fields),
  fields_error: `the fields could not be serialised: ${error instanceof Error ? error.message : String(error)}`,
});

/** The fields that are a string, a number or a boolean; a field whose reading throws is left out. */
function plainOf(fields: LogFields | undefined): Record<string, unknown> {
  const plain: Record<string, unknown> = {};
  try {
    for (const key in fields) {
      try {
        const value = fields[key];
        if (typeof value === "string" || typeof value === "number" || typeof value === "boolean")
          plain[key] = value;
      } catch {
        // A getter that throws: that field is left out, the others kept.
      }
    }
  } catch {
    // Fields whose keys cannot be listed (a proxy that throws): only why.
  }
  return plain;
}

/**
 * Whether a line's fields can wait for their batch's write to be formatted: the fields have no
 * `toJSON` of their own and no value is an object (an array or a record the caller may change, or
 * one whose `toJSON` must run now), a function (a `toJSON` among them) or a bigint (which a JSON
 * line cannot hold). Any of these is formatted at the call, where a throw is caught and a line
 * saying so takes its place; in a later batch's join it would have failed the whole batch. An
 * access line's are strings, numbers and booleans. May throw (a getter): `line` catches it.
 */
function settled(fields: LogFields): boolean {
  if ("toJSON" in fields) return false;
  for (const key in fields) {
    const value = fields[key];
    const kind = typeof value;
    if ((kind === "object" && value !== null) || kind === "function" || kind === "bigint") return false;
  }
  return true;
}

/** `settled`, false when reading the fields throws: they are formatted at the call, which catches it. */
function canWait(fields: LogFields): boolean {
  try {
    return settled(fields);
  } catch {
    return false;
  }
}

/** The current time as ISO text. */
function isoNow(): () => string {
  const iso = isoTime();
  return () => iso(Date.now());
}

/** Lines formatted as they are logged, for a caller's own `write` (tests, benchmarks, embedders). */
function formattedNow(format: LineFormat, write: (line: string, soon: boolean) => void): LineBatch {
  return {
    later: (time, level, message, fields, soon) => write(lineOf(format, time, level, message, fields), soon),
    text: write,
  };
}

/**
 * What a logger made by `createLogger` is beyond `Logger`: its format, its level, whether its lines
 * go to stderr through the batch, and a way to write a line with a time of its own (an access
 * line's is its request's end). Loggers of other making (an embedder's) have none.
 */
export interface LoggerLines {
  readonly format: LogFormat;
  /** Lines go to stderr through `batchedWrite` (no caller's `write`). */
  readonly stderr: boolean;
  enabled(level: LogLevel): boolean;
  /** A line as the logger writes it, at `time` (ISO text); dropped below the logger's level. */
  at(time: string, level: LogLevel, message: string, fields: LogFields): void;
}

/** By logger, what `createLogger` made it with (a `Logger`'s type stays the public four methods). */
const made = new WeakMap<Logger, LoggerLines>();

/** What `createLogger` made `logger` with; undefined for a logger it did not make. */
export const loggerLines = (logger: Logger): LoggerLines | undefined => made.get(logger);

/**
 * Makes `guard`, a logger that calls `logger` through a guard (guarded-logger.ts), read as `logger`
 * is (`loggerLines`), a throw of its `at` told to `failed` as the guard's calls' are. Nothing when
 * `createLogger` did not make `logger`.
 */
export function carryLines(logger: Logger, guard: Logger, failed: (error: unknown) => void): void {
  const lines = made.get(logger);
  if (!lines) return;
  made.set(guard, {
    ...lines,
    at(time, level, message, fields) {
      try {
        lines.at(time, level, message, fields);
      } catch (error) {
        failed(error);
      }
    },
  });
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const now = options.now;
  const stamp = now ? () => now().toISOString() : isoNow();
  const format = options.format === "json" ? jsonLine : textLine;
  const threshold = RANK[options.level ?? "info"];
  const lines = options.write ? formattedNow(format, options.write) : batchedWrite(format);
  const line = (time: string, level: LogLevel, message: string, fields: LogFields | undefined) => {
    const soon = RANK[level] >= RANK.warn;
    if (fields === undefined || canWait(fields)) lines.later(time, level, message, fields, soon);
    else lines.text(lineOf(format, time, level, message, fields), soon);
  };
  const at = (level: LogLevel) =>
    RANK[level] < threshold
      ? () => {}
      : (message: string, fields?: LogFields) => line(stamp(), level, message, fields);
  const logger: Logger = { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
  made.set(logger, {
    format: options.format ?? "text",
    stderr: options.write === undefined,
    enabled: (level) => RANK[level] >= threshold,
    at(time, level, message, fields) {
      if (RANK[level] >= threshold) line(time, level, message, fields);
    },
  });
  return logger;
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
