/**
 * The shadow thread's entry (a Worker bundled as an entry of its own: scripts/build-options.ts):
 * it serves the gateway's messages (serve-shadow-thread.ts), loading the price catalogue when its
 * rules first need it, as the event loop does, and going on without it past the same limit.
 */
import { catalogueReadyFor, loadCatalogue } from "../pricing/catalogue-on-demand.ts";
import { serveShadowThread } from "./serve-shadow-thread.ts";

serveShadowThread({
  ready: catalogueReadyFor,
  load: loadCatalogue,
  // As long as a config waits for it on the event loop (gateway/applied-when-loaded.ts): a chunk
  // of the executable read from disk, milliseconds, seconds on a starved host.
  withinMs: 30_000,
});
