/**
 * The shadow thread in tests (shadow-thread-catalogue.test.ts) whose catalogue load never settles,
 * as an `import()` that hangs, with a limit short enough for a test to pass it.
 */
import { pricesAny } from "../pricing/catalogue-on-demand.ts";
import { serveShadowThread } from "./serve-shadow-thread.ts";

serveShadowThread({
  ready: (providers) => !pricesAny(providers),
  load: () => new Promise<void>(() => {}),
  withinMs: 50,
});
