import { expect, test } from "bun:test";
import { chatRequest, fakeProvider, jsonReply, never, routerFor, twoRoutes } from "./router-test-kit.ts";

// DispatchRun's next attempt after a failure (its `onward`): a failure can be heard inside
// another module's callback, an attempt's first-byte bound expiring in its deadline list's walk
// (core/deadline-list.ts). A failover opened right there ran inside the walk, and the list's
// `add` armed its timer for a whole delay while an older entry was due sooner (1160290).

test("a failover heard in the bound's expiry opens the next attempt in a turn of its own, after the walk", async () => {
  const order: string[] = [];
  const a = fakeProvider("a", (call) => {
    // The attempt's abort is heard inside the expiry walk; a microtask queued there runs once
    // the walk (and everything it called) has returned.
    call.signal.addEventListener("abort", () => {
      order.push("a timed out");
      queueMicrotask(() => order.push("the expiry walk returned"));
    });
    return never(call);
  });
  const b = fakeProvider("b", () => {
    order.push("b called");
    return Promise.resolve(jsonReply());
  });
  // The stimulus: a first-byte bound short enough that a's silence always passes it.
  const { router } = routerFor(twoRoutes({ retries: 0 }, { timeouts: { first_byte: "5ms" } }), [a, b]);
  const dispatched = await router(chatRequest("m"));
  expect(dispatched.route).toBe("provider:b");
  expect(dispatched.attempts).toBe(2);
  expect(order).toEqual(["a timed out", "the expiry walk returned", "b called"]);
});
