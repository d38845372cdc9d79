import type { Config } from "../config/config-schema.ts";
import { parseConfig } from "../config/load-config.ts";

/**
 * A gateway's config with one model, `mock`, on the mock provider `demo`, stored in memory and
 * drained within 2 s: the least a test of the gateway's own handling (an embedder's plug-ins, the
 * front doors) needs behind it.
 */
export function oneMockModel(): Config {
  return parseConfig({
    storage: { path: ":memory:" },
    server: { drain_timeout: "2s" },
    providers: [{ name: "demo", type: "mock" }],
    models: [{ name: "mock", routes: [{ provider: "demo", model: "mock" }] }],
  });
}
