import { expect, test } from "bun:test";
import { Lifecycle } from "./lifecycle.ts";

test("a live event stream leaves the requests in flight and the bound, but a drain waits for its end", async () => {
  const lifecycle = new Lifecycle(() => 1);
  expect(lifecycle.enter()).toBeUndefined();
  lifecycle.toEventStream();
  expect(lifecycle.active).toBe(0);
  // The bound of one request has room: the stream holds none of it.
  expect(lifecycle.enter()).toBeUndefined();
  expect(lifecycle.enter()).toBe("full");
  lifecycle.leave();
  lifecycle.drain();
  let idle = false;
  const drained = lifecycle.idle().then(() => {
    idle = true;
  });
  await Promise.resolve();
  expect(idle).toBe(false);
  lifecycle.eventStreamEnded();
  await drained;
  expect(idle).toBe(true);
});
