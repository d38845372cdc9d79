import { describe, expect, test } from "bun:test";
import { SilenceWatch } from "./silence-watch.ts";

// The worker's watch on the gateway, as `registered` sets it: heartbeats every 2 s, silence past
// 6 s drops the connection. The clock is the test's; each `tick` is the watch's timer firing.
function watch() {
  let clock = 10_000;
  const silence = new SilenceWatch(6_000, 2_000, () => clock);
  return { silence, advance: (ms: number) => (clock += ms) };
}

describe("the worker's watch on the gateway's heartbeats", () => {
  test("a worker paused for less than the timeout keeps its connection: the late tick judges nothing, the heartbeats that waited are read before the next", () => {
    const { silence, advance } = watch();
    advance(2_000);
    expect(silence.silentPastTimeout()).toBeUndefined();
    // Heard just after that tick, then SIGSTOPped for 5.3 s: the timer fires first on resume, when
    // the clock says 6.3 s since the gateway was last heard (it dropped the connection so).
    advance(100);
    silence.heard();
    advance(1_000 + 5_300);
    expect(silence.silentPastTimeout()).toBeUndefined();
    // The heartbeats the gateway sent meanwhile are read; the next tick, on time, finds it alive.
    silence.heard();
    advance(2_000);
    expect(silence.silentPastTimeout()).toBeUndefined();
  });

  test("a gateway that is silent still once the worker resumes is dropped at the next tick on time", () => {
    const { silence, advance } = watch();
    advance(2_000);
    silence.silentPastTimeout();
    advance(7_000);
    expect(silence.silentPastTimeout()).toBeUndefined();
    advance(2_000);
    expect(silence.silentPastTimeout()).toBe(11_000);
  });

  test("a gateway that stops answering while the worker runs is dropped once silent past the timeout", () => {
    const { silence, advance } = watch();
    const found: (number | undefined)[] = [];
    for (let tick = 0; tick < 4; tick++) {
      advance(2_000);
      found.push(silence.silentPastTimeout());
    }
    expect(found).toEqual([undefined, undefined, undefined, 8_000]);
  });

  test("a worker whose event loop lags past two periods at every tick still drops a dead gateway: one late tick in a row judges nothing, not every one", () => {
    const { silence, advance } = watch();
    // The gateway died at the start; each tick comes 4.1 s after the one before (it never judged).
    const found: (number | undefined)[] = [];
    for (let tick = 0; tick < 3; tick++) {
      advance(4_100);
      found.push(silence.silentPastTimeout());
    }
    expect(found).toEqual([undefined, 8_200, undefined]);
  });
});
