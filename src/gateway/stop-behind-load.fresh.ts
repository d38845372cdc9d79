import { afterAll, expect, test } from "bun:test";
import { yieldToLoop } from "../core/yield-to-loop.ts";
import { catalogueLoaded, loadCatalogue } from "../pricing/catalogue-on-demand.ts";
import { mockGatewayToReload } from "../testing/catalogued-reload.ts";

// Run without the test preload (src/testing/fresh-process.test.ts): the first config naming a
// provider the catalogue prices waits for it to load.
const { gateway, handlers, told, priced, cleanUp } = await mockGatewayToReload();
afterAll(cleanUp);

test("a config still waiting for the catalogue when the gateway stops is never applied: no version after the stop, no provider made and left open", async () => {
  expect(catalogueLoaded()).toBe(false);
  const applied = handlers.onValid(priced);
  await gateway.stop();
  told.push("stop returned");
  await applied;
  // Even once the catalogue is loaded (by the test, if the dropped turn did not start the load)
  // and the event loop has had a turn, nothing is applied.
  await loadCatalogue();
  await yieldToLoop();
  expect(gateway.runtime.current.version).toBe(1);
  expect(told).toEqual(["closed mock", "stop returned"]);
});
