import { describeError } from "../core/describe-error.ts";
import { monotonicClock } from "../core/steady-clock.ts";
import type { LogFields, Logger } from "./logger.ts";

/** How often a failure that keeps repeating is logged again. */
export const REPEATED_FAILURE_MS = 30_000;

export interface RepeatedFailureOptions {
  everyMs?: number;
  /**
   * A test's clock; by default the monotonic one, which an NTP step never moves: on the wall clock
   * a step back held every line back for the step's length (a store down for ten minutes, unsaid).
   */
  now?: () => number;
}

/**
 * The `onError` of a task that runs on a timer and may fail every time (a flush each second while
 * its store is down): the first failure is a warning at once, with its cause; the ones after it
 * at most one line every `everyMs`, with the cause and how many failed since the last line.
 * `what` names the task (`spend flush`). A warning each second, without a cause, told an
 * operator nothing but buried the lines that did. `fields` go on the line of the failure that is
 * said (what it failed on: an event's type), never a body.
 */
export function repeatedFailure(
  logger: Pick<Logger, "warn">,
  what: string,
  options: RepeatedFailureOptions = {},
): (error: unknown, fields?: LogFields) => void {
  const everyMs = options.everyMs ?? REPEATED_FAILURE_MS;
  const now = options.now ?? monotonicClock;
  let lastLine = Number.NEGATIVE_INFINITY;
  let unsaid = 0;
  return (error, fields) => {
    const at = now();
    unsaid++;
    if (at - lastLine < everyMs) return;
    const count = unsaid > 1 ? ` (${unsaid} times in the last ${Math.round((at - lastLine) / 1000)} s)` : "";
    const line = `${what} failed${count}: ${describeError(error)}`;
    // Before the line is written: a logger that throws (an embedder's) still holds the next back.
    lastLine = at;
    unsaid = 0;
    if (fields) logger.warn(line, fields);
    else logger.warn(line);
  };
}
