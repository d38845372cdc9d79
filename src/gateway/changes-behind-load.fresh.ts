import { afterAll, expect, test } from "bun:test";
import { catalogueLoaded } from "../pricing/catalogue-on-demand.ts";
import { mockGatewayToReload } from "../testing/catalogued-reload.ts";

// Run without the test preload (src/testing/fresh-process.test.ts): the first config naming a
// provider the catalogue prices waits for it to load.
const { gateway, handlers, told, priced, cleanUp } = await mockGatewayToReload();
afterAll(cleanUp);

test("an invalid edit right after a config waiting for the catalogue is refused after it, and stands: the last change told is the one in effect", async () => {
  expect(catalogueLoaded()).toBe(false);
  const applied = handlers.onValid(priced);
  handlers.onInvalid(new Error("the edit after it is invalid"));
  // The gateway's onValid settles once the config is in force (EMBEDDING.md, config from elsewhere).
  await applied;
  expect(gateway.runtime.current.version).toBe(2);
  expect(told.filter((line) => line.startsWith("config."))).toEqual(["config.reloaded", "config.rejected"]);
  expect(gateway.lastReloadError()).toBe("the edit after it is invalid");
});
