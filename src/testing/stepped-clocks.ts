import { setSystemTime, spyOn } from "bun:test";
import { waitFor } from "./wait-for.ts";

/**
 * A node's two clocks as a test moves them: `now`, the wall clock (epoch ms) NTP may step, and
 * `elapsed`, the monotonic one that only runs. `run` advances both, as time passing does; `step`
 * the wall clock alone, as an NTP step or a VM resumed does (docs/DEPLOYMENT.md, "Clocks").
 */
export function wallAndElapsed(wallStart = 1_700_000_000_000) {
  let wall = wallStart;
  let elapsed = 0;
  return {
    now: () => wall,
    elapsed: () => elapsed,
    run(ms: number) {
      wall += ms;
      elapsed += ms;
    },
    step(ms: number) {
      wall += ms;
    },
  };
}

/**
 * `Date.now()` of this process stepped by `step(ms)` (performance.now() left alone), for code
 * whose default clock a test cannot inject: what it shows is that the default is not the wall
 * clock. Made before the code under test takes its clock; `restore` in a `finally`.
 */
export function steppedWallClock() {
  const wall = Date.now;
  let offsetMs = 0;
  const spy = spyOn(Date, "now").mockImplementation(() => wall() + offsetMs);
  return {
    step(ms: number) {
      offsetMs += ms;
    },
    restore: () => spy.mockRestore(),
  };
}

/** Waits until the monotonic clock is `ms` past `from` (a `performance.now()`): time a default clock must see pass. */
export const monotonicPast = (from: number, ms: number) =>
  waitFor(`${ms} ms of the monotonic clock`, () => performance.now() - from > ms);

/**
 * Both of this process's clocks held by the test and moved together by `pass(ms)`, as time passing
 * moves them (`step`: the wall one alone): Date.now() (setSystemTime) and performance.now(), for code whose default clocks — the
 * wall one for dates, the monotonic one for spans — a test cannot inject. `restore` in a `finally`.
 */
export function heldClocks(wallStart: number) {
  let wall = wallStart;
  // A whole number of milliseconds: `pass` adds whole steps, and a fractional start (hundreds of
  // seconds into a long run) would make `start + 29_999 + 1 - start` fall short of 30 000.
  let elapsed = Math.ceil(performance.now());
  setSystemTime(new Date(wall));
  const spy = spyOn(performance, "now").mockImplementation(() => elapsed);
  return {
    pass(ms: number) {
      wall += ms;
      elapsed += ms;
      setSystemTime(new Date(wall));
    },
    /** The wall clock alone, as NTP steps it. */
    step(ms: number) {
      wall += ms;
      setSystemTime(new Date(wall));
    },
    restore() {
      spy.mockRestore();
      setSystemTime();
    },
  };
}
