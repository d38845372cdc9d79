import { expect, jest, test } from "bun:test";
import { join } from "node:path";
import { childEnv } from "../testing/off-cloud-env.ts";
import { timerOverflows } from "../testing/timer-overflows.ts";
import { afterTimeout } from "./after.ts";
import { LONGEST_TIMER_MS } from "./timer-delay.ts";

// The process's own timers, in a process of their own: what holds it open is seen by its exit.

/** What a process that sets one timer and nothing else writes before it exits. */
async function ranBeforeExit(unref: boolean, ms: number): Promise<string> {
  const script = `const { afterTimeout } = await import(${JSON.stringify(join(import.meta.dir, "after.ts"))});
    afterTimeout({ unref: ${unref} })(${ms}, () => process.stdout.write("ran"));`;
  const proc = Bun.spawn([process.execPath, "-e", script], {
    env: childEnv(),
    stdout: "pipe",
    stderr: "pipe",
  });
  expect(await proc.exited).toBe(0);
  return new Response(proc.stdout).text();
}

test("a timer holds the process open until it has run; one set with unref does not", async () => {
  expect(await ranBeforeExit(false, 10)).toBe("ran");
  // Were it held, the process would wait its minute and write "ran".
  expect(await ranBeforeExit(true, 60_000)).toBe("");
});

test("a wait past setTimeout's range (30 days) does not run after 1 ms", async () => {
  // Bun fires a timer of over 2^31 - 1 ms after 1 ms; unref'd, the process exits before it runs.
  expect(await ranBeforeExit(true, 30 * 24 * 3_600_000)).toBe("");
});

// In this process, time moved by bun:test's fake timers (setTimeout and performance.now both).
test("a wait past setTimeout's range is made in steps: not run when the first, the longest a timer holds, ends", () => {
  const overflows = timerOverflows();
  jest.useFakeTimers();
  try {
    let ran = false;
    afterTimeout()(LONGEST_TIMER_MS + 1_000, () => {
      ran = true;
    });
    // A wait cut to the longest a timer holds (core/timer-delay.ts) would run here, 1 s early.
    jest.advanceTimersByTime(LONGEST_TIMER_MS);
    expect(ran).toBe(false);
    jest.advanceTimersByTime(999);
    expect(ran).toBe(false);
    jest.advanceTimersByTime(1);
    expect(ran).toBe(true);
    expect(overflows.seen()).toBe(0);
  } finally {
    jest.useRealTimers();
    overflows.stop();
  }
});

test("a cancelled wait past setTimeout's range does not run after its first step", () => {
  jest.useFakeTimers();
  try {
    let ran = false;
    const cancel = afterTimeout()(LONGEST_TIMER_MS + 1_000, () => {
      ran = true;
    });
    jest.advanceTimersByTime(LONGEST_TIMER_MS);
    cancel();
    jest.advanceTimersByTime(1_000);
    expect(ran).toBe(false);
  } finally {
    jest.useRealTimers();
  }
});
