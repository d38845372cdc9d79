import { PASS_NAME } from "../models/pass-name.ts";
import type { Config } from "./config-schema.ts";
import { shadowTargetsOf } from "./shadow-targets.ts";

/** The routes a config names, models' and shadows' alike, by route key (`provider/model`). */
export interface ConfiguredRoutes {
  /** Routes to one upstream model. */
  readonly keys: ReadonlySet<string>;
  /** Providers with a glob route (`model: "*"`): a state per model name a client sends. */
  readonly globProviders: ReadonlySet<string>;
}

export function configuredRoutes(config: Config): ConfiguredRoutes {
  const keys = new Set<string>();
  const globProviders = new Set<string>();
  const shadows = shadowTargetsOf(config).map(({ target }) => target);
  for (const route of [...config.models.flatMap((model) => model.routes), ...shadows]) {
    if (route.model === PASS_NAME) globProviders.add(route.provider);
    else keys.add(`${route.provider}/${route.model}`);
  }
  return { keys, globProviders };
}
