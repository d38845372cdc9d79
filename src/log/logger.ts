import { printable } from "../core/printable.ts";

export type LogLevel = "info" | "warn" | "error";

/** One line per event on stderr. Callers never pass secrets; see SPEC "Secrets never go in a log line". */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export function createLogger(write: (line: string) => void = (line) => process.stderr.write(line)): Logger {
  const emit = (level: LogLevel, message: string) =>
    // One event, one line: names and values from clients and workers cannot forge another.
    write(`${new Date().toISOString()} ${level} ${printable(message)}\n`);
  return {
    info: (message) => emit("info", message),
    warn: (message) => emit("warn", message),
    error: (message) => emit("error", message),
  };
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };
