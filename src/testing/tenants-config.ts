import type { Config } from "../config/config-schema.ts";
import { parseConfig } from "../config/load-config.ts";

/** `tenants:` by name, over one mock model `m`: what a tenant reload's tests change between. */
export const tenantsConfig = (tenants: readonly string[]): Config =>
  parseConfig({
    providers: [{ name: "demo", type: "mock" }],
    models: [{ name: "m", routes: [{ provider: "demo", model: "m" }] }],
    tenants: tenants.map((name) => ({ name })),
  });
