import { parseDuration } from "../config/units.ts";
import { UsageError } from "./exit-code.ts";

/** A bare number: epoch milliseconds to a time flag, never a span (0 alone would read as one). */
const BARE_NUMBER = /^\s*\d+(\.\d+)?\s*$/;

/** A span with its unit (`1h`, `30m`, `7d`) in milliseconds; undefined for anything else (a time). */
export function spanOf(text: string): number | undefined {
  return BARE_NUMBER.test(text) ? undefined : parseDuration(text);
}

/**
 * `--since <duration>` (`shadow report`, `audit query|export`): the time that long before `now`,
 * in epoch milliseconds; anything but a span is a usage error (exit 2).
 */
export function sinceTime(text: string, now: number): number {
  const span = spanOf(text);
  if (span === undefined) throw new UsageError(`--since: not a duration: ${text} (use e.g. 1h, 30m, 7d)`);
  return now - span;
}
