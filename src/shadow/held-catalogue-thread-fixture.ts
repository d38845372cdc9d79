/**
 * The shadow thread in tests (shadow-thread-catalogue.test.ts) with its catalogue load held until
 * the thread has been posted `HELD_UNTIL` messages (the ring's first), so that the messages after
 * the rules that began it are sure to have come in behind it.
 */
import { loadCatalogue, pricesAny } from "../pricing/catalogue-on-demand.ts";
import { serveShadowThread } from "./serve-shadow-thread.ts";

declare const self: Worker;

const HELD_UNTIL = 4;
const held = Promise.withResolvers<void>();
let messages = 0;
// Told before the thread's own handler, which is set after.
self.addEventListener("message", () => {
  if (++messages === HELD_UNTIL) held.resolve();
});
let loaded = false;
serveShadowThread({
  ready: (providers) => loaded || !pricesAny(providers),
  load: async () => {
    await held.promise;
    await loadCatalogue();
    loaded = true;
  },
  // Never reached: the test's messages release the load.
  withinMs: 60_000,
});
