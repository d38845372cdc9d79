import { afterAll, expect, test } from "bun:test";
import { yieldToLoop } from "../core/yield-to-loop.ts";
import { catalogueLoaded } from "../pricing/catalogue-on-demand.ts";
import { mockGatewayToReload } from "../testing/catalogued-reload.ts";
import { waitFor } from "../testing/wait-for.ts";

// Run without the test preload (src/testing/fresh-process.test.ts): the first config naming a
// provider the catalogue prices waits for it to load.
const { gateway, handlers, told, priced, cleanUp } = await mockGatewayToReload();
afterAll(cleanUp);

test("a config whose catalogue is still loading when the gateway stops is never applied, even once the load is done: no version after the stop, no provider made and left open", async () => {
  expect(catalogueLoaded()).toBe(false);
  const applied = handlers.onValid(priced);
  // Its turn comes a microtask on, and begins the load, which is still under way.
  await Promise.resolve();
  expect(catalogueLoaded()).toBe(false);
  await gateway.stop();
  told.push("stop returned");
  await applied;
  // The load the dropped turn began ends of its own (the test loads nothing), and once the event
  // loop has had a turn after it, still nothing is applied.
  await waitFor("the catalogue loaded by the dropped turn", catalogueLoaded);
  await yieldToLoop();
  expect(gateway.runtime.current.version).toBe(1);
  expect(told).toEqual(["closed mock", "stop returned"]);
});
