import { type Config, WORKERS_PROVIDER } from "../config/config-schema.ts";
import { configuredRoutes } from "../config/configured-routes.ts";

/**
 * Which routes' breaker state a reload keeps (route keys are `provider/model`): a route the new
 * config still has, on a provider configured exactly as before. A provider edited (another
 * `base_url`, key or timeouts) is a different upstream: its routes start closed.
 */
export function carriedRoutes(previous: Config, next: Config): (key: string) => boolean {
  const before = new Map(previous.providers.map((p) => [p.name, JSON.stringify(p)]));
  const unchanged = new Set(
    next.providers.filter((p) => before.get(p.name) === JSON.stringify(p)).map((p) => p.name),
  );
  unchanged.add(WORKERS_PROVIDER);
  // A glob route (`model: "*"`) keeps every model's state under its provider.
  const { keys, globProviders } = configuredRoutes(next);
  return (key) => {
    const provider = key.slice(0, key.indexOf("/"));
    return unchanged.has(provider) && (globProviders.has(provider) || keys.has(key));
  };
}
