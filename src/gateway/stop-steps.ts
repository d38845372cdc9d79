import { describeError } from "../core/describe-error.ts";
import type { Logger } from "../log/logger.ts";

/** One part of the gateway to stop: named for the log line that says it failed. */
export interface StopStep {
  readonly part: string;
  /**
   * `until`: when the stop's drain deadline (`server.drain_timeout` from the signal) falls, as a
   * `performance.now()` time: a part that retries (the audit, on failing storage) retries until
   * then.
   */
  readonly run: (until: number) => unknown;
}

/** A step that threw or rejected, and what with. */
export interface StopFailure {
  readonly part: string;
  readonly error: unknown;
}

/**
 * Runs every step in order, each awaited; a step that throws or rejects is logged and the next
 * one runs all the same (a policy whose store went away must not keep the audit rows queued
 * behind it from being written, nor the storage from closing). Returns the failures.
 */
export async function runStopSteps(
  steps: readonly StopStep[],
  logger: Logger,
  until: number,
): Promise<StopFailure[]> {
  const failures: StopFailure[] = [];
  for (const step of steps) {
    try {
      await step.run(until);
    } catch (error) {
      logger.error(`stop: ${step.part} failed`, { error: describeError(error) });
      failures.push({ part: step.part, error });
    }
  }
  return failures;
}

/** What `gateway.stop()` rejects with when parts failed to stop: every error, each part named. */
export const stopFailed = (failures: readonly StopFailure[]): AggregateError =>
  new AggregateError(
    failures.map((failure) => failure.error),
    `the gateway stopped, but these parts failed to: ${failures.map((failure) => failure.part).join(", ")}`,
  );
