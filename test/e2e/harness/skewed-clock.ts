import { existsSync } from "node:fs";

/** Debian's libfaketime (package `libfaketime`, installed by scripts/ci.sh). */
const LIBFAKETIME = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";

/**
 * The environment that runs a process on a wall clock `seconds` off the host's (ahead when
 * positive), as a node whose NTP is off would: libfaketime preloaded shifts CLOCK_REALTIME
 * (`Date.now()`), and leaves the monotonic clock alone, so its timers run as usual.
 */
export function skewedClock(seconds: number): Record<string, string> {
  // Missing, the test fails: a node on the host's clock would hide what it checks.
  if (!existsSync(LIBFAKETIME)) throw new Error(`no ${LIBFAKETIME}: apt-get install libfaketime`);
  return {
    LD_PRELOAD: LIBFAKETIME,
    FAKETIME: `${seconds >= 0 ? "+" : ""}${seconds}s`,
    DONT_FAKE_MONOTONIC: "1",
  };
}
