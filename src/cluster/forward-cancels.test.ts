import { expect, test } from "bun:test";
import { FORWARD_CANCEL_TIMEOUT_MS, ForwardCancels } from "./forward-cancels.ts";

test("a running forward's cancel cuts it, told whether a bound cut it", () => {
  const cancels = new ForwardCancels();
  const told: boolean[] = [];
  cancels.run("a", { cut: (timedOut) => told.push(timedOut) });
  cancels.cancel("a", true);
  cancels.run("b", { cut: (timedOut) => told.push(timedOut) });
  cancels.cancel("b", false);
  cancels.end("c");
  cancels.cancel("c", true);
  expect(told).toEqual([true, false]);
});

test("a forward its connection's close cut is judged by the cancel that comes after, once, and only a timed-out one", () => {
  const cancels = new ForwardCancels();
  const judged: string[] = [];
  for (const id of ["late", "left"]) {
    cancels.run(id, { cut: () => judged.push(`cut ${id}`) });
    cancels.end(id);
    cancels.cutByClose(id, { judge: () => judged.push(id) });
  }
  cancels.cancel("left", false);
  cancels.cancel("late", true);
  cancels.cancel("late", true);
  cancels.cancel("left", true);
  expect(judged).toEqual(["late"]);
});

test("past a cancel's own timeout a close's verdict is no longer kept", () => {
  let now = 0;
  const cancels = new ForwardCancels(FORWARD_CANCEL_TIMEOUT_MS, () => now);
  const judged: string[] = [];
  cancels.cutByClose("old", { judge: () => judged.push("old") });
  now = FORWARD_CANCEL_TIMEOUT_MS;
  cancels.cutByClose("new", { judge: () => judged.push("new") });
  cancels.cancel("old", true);
  cancels.cancel("new", true);
  expect(judged).toEqual(["new"]);
});
