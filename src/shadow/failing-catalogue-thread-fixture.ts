/**
 * The shadow thread in tests (shadow-thread-catalogue.test.ts) whose catalogue never loads, as
 * when its chunk cannot be read.
 */
import { pricesAny } from "../pricing/catalogue-on-demand.ts";
import { serveShadowThread } from "./serve-shadow-thread.ts";

serveShadowThread({
  ready: (providers) => !pricesAny(providers),
  load: () => Promise.reject(new Error("the catalogue's chunk is missing")),
  withinMs: 60_000,
});
