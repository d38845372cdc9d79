import { describeError } from "../core/describe-error.ts";
import { timerDelay } from "../core/timer-delay.ts";
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
  /**
   * The part keeps to `until` itself and is not cut there (the audit: each write it starts gets
   * its own least time, and what its store never took is handed back to be kept).
   */
  readonly keepsTime?: boolean;
}

/** A step that threw or rejected, and what with. */
export interface StopFailure {
  readonly part: string;
  readonly error: unknown;
}

/**
 * The least time each step gets, past the drain deadline if need be: a part whose close never
 * answers (an embedder's sink, a store across the network) takes the stop's time, and every part
 * after it (storage last) still gets this long to close. A close takes milliseconds.
 */
export const LEAST_STEP_MS = 1_000;

/** What a step that gives up by itself keeps back, before its step is cut, to say what it gave up. */
const GIVE_UP_MARGIN_MS = 200;

/**
 * When a step that can give up by itself (the event sinks' retries) should: before `runStopSteps`
 * cuts it (at `until`, or `LEAST_STEP_MS` from its start if later), with time left to say what it
 * let go, which a cut step never says.
 */
export const giveUpBy = (until: number): number =>
  Math.max(until, performance.now() + LEAST_STEP_MS) - GIVE_UP_MARGIN_MS;

/**
 * Runs every step in order, each awaited until the stop's deadline `until` (at least
 * `LEAST_STEP_MS`); a step that throws, rejects or is still running then is logged and the next
 * one runs all the same (a policy whose store went away must not keep the audit rows queued
 * behind it from being written, nor the storage from closing). A step left running is not waited
 * for again. Returns the failures.
 */
export async function runStopSteps(
  steps: readonly StopStep[],
  logger: Logger,
  until: number,
): Promise<StopFailure[]> {
  const failures: StopFailure[] = [];
  for (const step of steps) {
    try {
      await inStopTime(step, until);
    } catch (error) {
      logger.error(`stop: ${step.part} failed`, { error: describeError(error) });
      failures.push({ part: step.part, error });
    }
  }
  return failures;
}

/** The step, or its failure when it has not finished by `until` (at least `LEAST_STEP_MS` from now). */
async function inStopTime(step: StopStep, until: number): Promise<void> {
  const running = step.run(until);
  if (step.keepsTime) return void (await running);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    const ms = Math.max(until - performance.now(), LEAST_STEP_MS);
    timer = setTimeout(
      () => reject(new Error(`${step.part} did not finish in the stop's time`)),
      timerDelay(ms),
    );
  });
  try {
    await Promise.race([running, late]);
  } finally {
    clearTimeout(timer);
    // A step given up on may still fail later (a sink's socket): nobody waits for it any more,
    // and an unheard rejection would end an embedder's process after its stop returned.
    Promise.resolve(running).catch(() => {});
  }
}

/** What `gateway.stop()` rejects with when parts failed to stop: every error, each part named. */
export const stopFailed = (failures: readonly StopFailure[]): AggregateError =>
  new AggregateError(
    failures.map((failure) => failure.error),
    `the gateway stopped, but these parts failed to: ${failures.map((failure) => failure.part).join(", ")}`,
  );
