/**
 * The shadow thread's entry (a Worker bundled as an entry of its own: scripts/build-options.ts):
 * it serves the gateway's messages (serve-shadow-thread.ts), loading the price catalogue when its
 * rules first need it, as the event loop does, and going on without it past the same limit.
 */
import { CATALOGUE_LOAD_LIMIT_MS, catalogueReadyFor, loadCatalogue } from "../pricing/catalogue-on-demand.ts";
import { serveShadowThread } from "./serve-shadow-thread.ts";

serveShadowThread({
  ready: catalogueReadyFor,
  load: loadCatalogue,
  withinMs: CATALOGUE_LOAD_LIMIT_MS,
});
