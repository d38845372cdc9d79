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

/** A flag's value, else its variable's, with the name of the one it came from (said when it is refused). */
const fromFlagOrEnv = (flag: string, value: string | undefined, variable: string, env: Env) =>
  value !== undefined ? ([flag, value] as const) : ([variable, env[variable]] as const);

type Env = Record<string, string | undefined>;

/**
 * The flags, else the environment, as logger options; a bad value is a usage error naming where
 * it came from: `MINDGW_LOG_LEVEL: expected …` when no `--log-level` was given.
 */
export function logOptionsOf(
  flags: LogFlags,
  env: Env = process.env,
): { format?: LogFormat; level?: LogLevel } {
  const format = oneOf(
    ...fromFlagOrEnv("--log-format", flags.logFormat, "MINDGW_LOG_FORMAT", env),
    LOG_FORMATS,
  );
  const level = oneOf(...fromFlagOrEnv("--log-level", flags.logLevel, "MINDGW_LOG_LEVEL", env), LOG_LEVELS);
  return { ...(format ? { format } : {}), ...(level ? { level } : {}) };
}
