import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openFileConfigSource } from "../config/config-source.ts";
import { silentLogger } from "../log/logger.ts";
import { catalogueLoaded } from "../pricing/catalogue-on-demand.ts";
import { createGateway } from "./create-gateway.ts";

// Run without the test preload (src/testing/fresh-process.test.ts): the first config naming a
// provider the catalogue prices waits for it to load.
const dir = mkdtempSync(join(tmpdir(), "mindgw-reload-behind-load-"));
const file = join(dir, "gw.yaml");
const configText = (priced: boolean) => `storage: { path: gw.db }
auth: { bootstrap_admin: false }
providers:
  - { name: mock, type: mock }
${priced ? "  - { name: oa, type: openai, base_url: 'http://127.0.0.1:1/v1', api_key: x }\n" : ""}models:
  - { name: mock, routes: [{ provider: mock, model: mock }] }
${priced ? "  - { name: gpt-4o-mini, routes: [{ provider: oa, model: gpt-4o-mini }] }\n" : ""}`;
writeFileSync(file, configText(false));
const gateway = await createGateway({ configSource: await openFileConfigSource(file), logger: silentLogger });
afterAll(async () => {
  await gateway.stop();
  rmSync(dir, { recursive: true, force: true });
});

test("gateway.reload() of a file naming the first provider the catalogue prices resolves once that config is in force", async () => {
  expect(catalogueLoaded()).toBe(false);
  writeFileSync(file, configText(true));
  expect(await gateway.reload()).toBe(true);
  expect(gateway.runtime.current.version).toBe(2);
  expect(gateway.runtime.current.table.modelNames("default")).toContain("gpt-4o-mini");
});
