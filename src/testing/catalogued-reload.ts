import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Config } from "../config/config-schema.ts";
import { parseConfig } from "../config/load-config.ts";
import type { ConfigWatchHandlers } from "../config/watch-config.ts";
import { type BuiltGateway, createGateway } from "../gateway/create-gateway.ts";
import { silentLogger } from "../log/logger.ts";
import { createProvider } from "../providers/create-provider.ts";

/**
 * A gateway on the mock alone, and the handlers of its config source, for the tests of a reload
 * that names its first provider the price catalogue prices (an OpenAI one), which waits for the
 * catalogue to load (gateway/applied-when-loaded.ts): in a `*.fresh.ts` file, where nothing has
 * loaded it (testing/fresh-process.test.ts). `told` is what the gateway did, in order: its events'
 * types, and each provider made and closed.
 */
export async function mockGatewayToReload() {
  const dir = mkdtempSync(join(tmpdir(), "mindgw-catalogued-reload-"));
  const told: string[] = [];
  const configOf = (priced: boolean): Config =>
    parseConfig({
      storage: { path: join(dir, "gw.db") },
      auth: { bootstrap_admin: false },
      providers: [
        { name: "mock", type: "mock" },
        ...(priced ? [{ name: "oa", type: "openai", base_url: "http://127.0.0.1:1/v1", api_key: "x" }] : []),
      ],
      models: [
        { name: "mock", routes: [{ provider: "mock", model: "mock" }] },
        ...(priced ? [{ name: "gpt-4o-mini", routes: [{ provider: "oa", model: "gpt-4o-mini" }] }] : []),
      ],
    });
  let handlers: ConfigWatchHandlers | undefined;
  const gateway: BuiltGateway = await createGateway({
    configSource: {
      initial: configOf(false),
      path: null,
      watch: (given) => {
        handlers = given;
        return () => {};
      },
    },
    logger: silentLogger,
    events: [{ publish: (event) => told.push(event.type) }],
    providers: (config, context) => {
      const provider = createProvider(config, context);
      told.push(`made ${config.name}`);
      const close = provider.close?.bind(provider);
      return Object.assign(provider, {
        close: () => {
          told.push(`closed ${config.name}`);
          close?.();
        },
      });
    },
  });
  if (!handlers) throw new Error("the gateway did not watch its config source");
  told.length = 0;
  return {
    gateway,
    handlers,
    told,
    /** The mock and an OpenAI provider, one the catalogue prices. */
    priced: configOf(true),
    cleanUp: async () => {
      await gateway.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
