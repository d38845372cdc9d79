import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Debian's libfaketime (package `libfaketime`, installed by scripts/ci.sh). */
const LIBFAKETIME = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";

const offset = (seconds: number) => `${seconds >= 0 ? "+" : ""}${seconds}s`;

/** libfaketime preloaded; missing, the test fails: a node on the host's clock would hide what it checks. */
function preload(): Record<string, string> {
  if (!existsSync(LIBFAKETIME)) throw new Error(`no ${LIBFAKETIME}: apt-get install libfaketime`);
  // The monotonic clock is left alone, so the process's timers run as usual.
  return { LD_PRELOAD: LIBFAKETIME, DONT_FAKE_MONOTONIC: "1" };
}

/**
 * The environment that runs a process on a wall clock `seconds` off the host's (ahead when
 * positive), as a node whose NTP is off would: CLOCK_REALTIME (`Date.now()`) shifted.
 */
export function skewedClock(seconds: number): Record<string, string> {
  return { ...preload(), FAKETIME: offset(seconds) };
}

/**
 * A wall clock that runs `rate` times as fast as the host's from the process's start: as if NTP
 * stepped it forward again and again, so that whatever reads the wall clock between two moments
 * meets a step every time.
 */
export function racingClock(rate: number): Record<string, string> {
  return { ...preload(), FAKETIME: `+0 x${rate}` };
}

/** A wall clock `seconds` off the host's that the test steps while the process runs (`step`). */
export interface SteppableClock {
  readonly env: Record<string, string>;
  /** From now on (within a second: libfaketime reads its file once a second) `seconds` off. */
  step(seconds: number): void;
}

/** A clock as NTP steps one: `skewedClock`'s, read from a file in `dir` the test rewrites. */
export function steppableClock(dir: string, seconds: number): SteppableClock {
  const file = join(dir, "faketime");
  const step = (to: number) => writeFileSync(file, `${offset(to)}\n`);
  step(seconds);
  return {
    env: { ...preload(), FAKETIME_TIMESTAMP_FILE: file, FAKETIME_CACHE_DURATION: "1" },
    step,
  };
}
