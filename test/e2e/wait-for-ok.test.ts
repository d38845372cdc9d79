import { expect, test } from "bun:test";
import { callUntil } from "./harness/wait-for-ok.ts";

// The harness's callUntil, unit-tested: a call answered other than 200 ends the wait, failing,
// even when what it waits for would hold later (a 500 mid-wait must not pass silently).
const statuses = (...answers: number[]) => {
  let calls = 0;
  return {
    call: async (turn: number) => {
      calls = turn;
      return { status: answers[turn - 1] ?? 200 };
    },
    calls: () => calls,
  };
};

test("callUntil ends, failing, at the first call answered other than 200", async () => {
  const calls = statuses(200, 500, 200, 200);
  const ended = await callUntil("four calls", calls.call, () => calls.calls() >= 4, 10_000, 1).then(
    () => "passed",
    () => "failed",
  );
  expect({ ended, calls: calls.calls() }).toEqual({ ended: "failed", calls: 2 });
});

test("callUntil returns the turn of the call after which what it waits for shows", async () => {
  const calls = statuses(200, 200, 200);
  expect(await callUntil("three calls", calls.call, () => calls.calls() >= 3, 10_000, 1)).toBe(3);
});
