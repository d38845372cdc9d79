import type { LogFields, Logger } from "../log/logger.ts";

/** One line a recording logger kept. */
export interface RecordedLine {
  level: string;
  message: string;
  fields?: LogFields;
}

/** A logger keeping its lines; `throwing` makes every call throw after keeping it (a log shipper down). */
export function recordingLogger(throwing = false): { logger: Logger; lines: RecordedLine[] } {
  const lines: RecordedLine[] = [];
  const at =
    (level: string) =>
    (message: string, fields?: LogFields): void => {
      lines.push({ level, message, ...(fields ? { fields } : {}) });
      if (throwing) throw new Error("log shipper down");
    };
  return { lines, logger: { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") } };
}
