import { expect, test } from "bun:test";
import { onceATurn } from "./once-a-turn.ts";

const turnEnd = () => new Promise((resolve) => setImmediate(resolve));

test("runs once at the end of the turn however often asked; asked while running, once more a turn later", async () => {
  let runs = 0;
  let again = true;
  const schedule = onceATurn(() => {
    runs++;
    if (again) {
      again = false;
      schedule();
    }
  });
  schedule();
  schedule();
  schedule();
  expect(runs).toBe(0);
  await turnEnd();
  expect(runs).toBe(1);
  await turnEnd();
  expect(runs).toBe(2);
  await turnEnd();
  expect(runs).toBe(2);
});

test("armed by another one's run, it runs in the same pass", async () => {
  const order: string[] = [];
  const second = onceATurn(() => order.push("second"));
  const first = onceATurn(() => {
    order.push("first");
    second();
  });
  first();
  // Armed after `first`: runs once the pass is over, in the same turn.
  await turnEnd();
  expect(order).toEqual(["first", "second"]);
});
