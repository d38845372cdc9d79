import { expect, test } from "bun:test";
import { inTurns } from "./in-turns.ts";

/** Turns whose unexpected errors are written down with the steps, in order. */
function recorded() {
  const ran: string[] = [];
  const turns = inTurns((error) => ran.push(`unexpected: ${(error as Error).message}`));
  return { turns, ran };
}

test("a step that throws at once is unexpected, as one that throws in a turn that waited: take neither throws nor rejects", async () => {
  const { turns, ran } = recorded();
  const thrown = turns.take(() => {
    throw new Error("at once");
  }, true);
  expect(ran).toEqual(["unexpected: at once"]);
  await thrown;
  const held = Promise.withResolvers<void>();
  void turns.take(() => held.promise, false);
  const waited = turns.take(() => {
    throw new Error("in its turn");
  }, true);
  held.resolve();
  await waited;
  expect(ran).toEqual(["unexpected: at once", "unexpected: in its turn"]);
});

test("a step taken at once that returns a promise is waited for: what comes after runs behind it, and its rejection is unexpected", async () => {
  const { turns, ran } = recorded();
  const held = Promise.withResolvers<void>();
  const first = turns.take(async () => {
    await held.promise;
    ran.push("first");
    throw new Error("first failed");
  }, true);
  const second = turns.take(() => {
    ran.push("second");
  }, true);
  expect(ran).toEqual([]);
  held.resolve();
  await Promise.all([first, second]);
  expect(ran).toEqual(["first", "unexpected: first failed", "second"]);
});

test("an unexpected that throws loses no turn: take still settles, and the step after runs", async () => {
  const ran: string[] = [];
  const turns = inTurns(() => {
    throw new Error("the logger failed");
  });
  const held = Promise.withResolvers<void>();
  void turns.take(() => held.promise, false);
  const failing = turns.take(async () => {
    throw new Error("step 1");
  }, false);
  const next = turns.take(() => {
    ran.push("step 2");
  }, true);
  held.resolve();
  await Promise.all([failing, next]);
  expect(ran).toEqual(["step 2"]);
  // At once too.
  await turns.take(() => {
    throw new Error("step 3");
  }, true);
  turns.take(() => {
    ran.push("step 4");
  }, true);
  expect(ran).toEqual(["step 2", "step 4"]);
});

test("stop settles a step that never settles and every turn behind it, and none of those runs", async () => {
  const { turns, ran } = recorded();
  const started = Promise.withResolvers<void>();
  const stuck = turns.take(() => {
    started.resolve();
    return new Promise<void>(() => {});
  }, false);
  const behind = turns.take(() => {
    ran.push("behind");
  }, true);
  const atOnce = turns.take(() => new Promise<void>(() => {}), true);
  // Stopped while the step runs, not before it started.
  await started.promise;
  turns.stop();
  await Promise.all([stuck, behind, atOnce]);
  expect(ran).toEqual([]);
  expect(turns.stopped()).toBe(true);
  // Taken after the stop: settled, never run.
  await turns.take(() => {
    ran.push("after the stop");
  }, true);
  expect(ran).toEqual([]);
});
