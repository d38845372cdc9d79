import { parseDuration } from "../config/units.ts";
import { UsageError } from "./exit-code.ts";

/** A bare number: epoch milliseconds to a time flag, never a span (0 alone would read as one). */
const BARE_NUMBER = /^\s*\d+(\.\d+)?\s*$/;

/** A span with its unit (`1h`, `30m`, `7d`) in milliseconds; undefined for anything else (a time). */
export function spanOf(text: string): number | undefined {
  return BARE_NUMBER.test(text) ? undefined : parseDuration(text);
}

/**
 * The time `span` before `now`, in epoch milliseconds: a span reaching past 1970 (`--since 99999d`,
 * "everything") is the epoch itself, never a negative time, which the query's schema refuses as
 * no time at all ("from: expected epoch milliseconds, …", naming no flag the user gave).
 */
export const spanAgo = (span: number, now: number): number => Math.max(0, now - span);

/**
 * `--since <duration>` (`shadow report`, `audit query|export`): the time that long before `now`,
 * in epoch milliseconds (`spanAgo`); anything but a span is a usage error (exit 2), and so is a
 * span of nothing (`0s`), which would select nothing ever and say only that nothing was found.
 */
export function sinceTime(text: string, now: number): number {
  const span = spanOf(text);
  if (span === undefined) throw new UsageError(`--since: not a duration: ${text} (use e.g. 1h, 30m, 7d)`);
  if (span === 0)
    throw new UsageError(`--since: ${text} is no span: nothing is recorded in it (use e.g. 1h, 30m, 7d)`);
  return spanAgo(span, now);
}
