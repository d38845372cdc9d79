/**
 * The shadow thread in tests (shadow-thread-catalogue.test.ts) whose catalogue load ends only after
 * its limit: held until the thread has been posted `HELD_UNTIL` messages (the ring's first, then one
 * a turn), past a limit short enough for a test to pass it first. The catalogue itself is read at
 * once, so the load ends within microtasks of its release.
 */
import { loadCatalogue, pricesAny } from "../pricing/catalogue-on-demand.ts";
import { serveShadowThread } from "./serve-shadow-thread.ts";

declare const self: Worker;

const HELD_UNTIL = 3;
const held = Promise.withResolvers<void>();
let messages = 0;
// Told before the thread's own handler, which is set after.
self.addEventListener("message", () => {
  if (++messages === HELD_UNTIL) held.resolve();
});
const read = loadCatalogue();
let loaded = false;
serveShadowThread({
  ready: (providers) => loaded || !pricesAny(providers),
  load: async () => {
    await held.promise;
    await read;
    loaded = true;
  },
  withinMs: 50,
});
