import type { Command } from "commander";
import { LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel } from "../log/logger.ts";
import { UsageError } from "./exit-code.ts";

export interface LogFlags {
  logFormat?: string;
  logLevel?: string;
}

/** `--log-format` / `--log-level` for commands without a config file (the worker). */
export const withLogOptions = (command: Command): Command =>
  command
    .option("--log-format <format>", `${LOG_FORMATS.join(" | ")} (default: $MINDGW_LOG_FORMAT, else text)`)
    .option("--log-level <level>", `${LOG_LEVELS.join(" | ")} (default: $MINDGW_LOG_LEVEL, else info)`);

function oneOf<T extends string>(
  flag: string,
  value: string | undefined,
  allowed: readonly T[],
): T | undefined {
  if (value === undefined || value === "") return undefined;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`${flag}: expected ${allowed.join(" | ")}, got ${value}`);
}

/** The flags, else the environment, as logger options; a bad value is a usage error. */
export function logOptionsOf(flags: LogFlags): { format?: LogFormat; level?: LogLevel } {
  const format = oneOf("--log-format", flags.logFormat ?? process.env.MINDGW_LOG_FORMAT, LOG_FORMATS);
  const level = oneOf("--log-level", flags.logLevel ?? process.env.MINDGW_LOG_LEVEL, LOG_LEVELS);
  return { ...(format ? { format } : {}), ...(level ? { level } : {}) };
}
