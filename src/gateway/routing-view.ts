import { routeWeight } from "../config/model-config.ts";
import { redactConfig } from "../config/redact-config.ts";
import type { RouteHealth } from "../routing/route-health.ts";
import type { Runtime } from "./runtime.ts";

export interface RoutingViewInput {
  runtime: Runtime;
  health: RouteHealth;
  configPath: string | null;
  /** Models connected workers register right now (those a reader's tenant may be routed to). */
  workerModels: readonly string[];
}

/**
 * Body of `GET /admin/api/routing`: the resolved routing table as the router sees it now —
 * each configured model (as configured, so globs and aliases show as written) with its routes'
 * live health, the providers (secrets redacted), prices, and worker-served models.
 */
export function routingView({ runtime, health, configPath, workerModels }: RoutingViewInput) {
  const { config } = runtime;
  // redactConfig walks the whole config; only its providers (secrets and URL credentials gone) are shown.
  const redacted = redactConfig(config) as { providers: { name: string }[] };
  const routeHealth = (provider: string, model: string) => {
    const key = `${provider}/${model}`;
    return { open: health.isOpen(key), inFlight: health.inFlight(key), latencyMs: health.latency(key) };
  };
  return {
    config: { path: configPath, version: runtime.version },
    models: config.models.map((model) => ({
      ...model,
      routes: model.routes.map((route) => ({
        ...route,
        weight: routeWeight(route),
        health: routeHealth(route.provider, route.model),
      })),
      ...(model.shadow
        ? { shadow: { ...model.shadow, health: routeHealth(model.shadow.provider, model.shadow.model) } }
        : {}),
    })),
    providers: redacted.providers,
    prices: config.prices,
    workerModels: [...workerModels],
  };
}
