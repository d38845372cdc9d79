/** A route's live health as the routing view gives it (gateway/routing-view.ts). */
interface RouteHealth {
  readonly open: boolean;
  /** Requests on the route now: every caller's of it, whatever its tenant. */
  readonly inFlight?: number;
  /** The mean time to first byte the latency strategy keeps: every caller's, whatever its tenant. */
  readonly latencyMs?: number;
}

/** A model's route, or its shadow, in the routing view. */
interface ViewRoute {
  readonly provider: string;
  readonly health?: RouteHealth;
}

/** What of the routing view (gateway/routing-view.ts) a tenant's reader is narrowed on. */
export interface RoutingTable {
  /** The config in force: its file's path (gateway-wide, as `/admin/api/status` has it) and version. */
  readonly config: { readonly path?: string | null; readonly version: number };
  readonly models: readonly {
    readonly name: string;
    readonly routes: readonly ViewRoute[];
    readonly shadow?: ViewRoute;
  }[];
  /** `tenant`: the tenant whose models alone may route to it (its own upstream account). */
  readonly providers: readonly { readonly name: string; readonly tenant?: string }[];
  readonly prices: Readonly<Record<string, unknown>>;
  readonly workerModels: readonly string[];
}

/**
 * The routing table as a reader of `tenant` who may see only some models sees it: those models (a
 * glob entry is tested as its own name, as an allow-list covers a glob), the providers their routes
 * and shadows use, their prices, and the worker-served models among them, and the config's version.
 * Another tenant's models, and where they are sent, are left out, and so is the config file's path
 * (gateway-wide: the status leaves it out for such a reader too, admin-status.ts). So are the
 * requests in flight on a route of a provider every tenant may use: they are every tenant's (the
 * gateway's load, which the status leaves out too), and so is such a route's mean time to first
 * byte, a figure of those requests (as the gateway-wide charts are, refused such a reader). On one
 * of the tenant's own providers, which only its models and shadows use, both are its own and are
 * kept. A route's breaker stays: its callers are served by that upstream as it is.
 */
export function routingFor(
  table: RoutingTable,
  visible: (model: string) => boolean,
  tenant: string,
): RoutingTable {
  const models = table.models.filter((model) => visible(model.name));
  const used = new Set(
    models.flatMap((model) =>
      [...model.routes, ...(model.shadow ? [model.shadow] : [])].map((r) => r.provider),
    ),
  );
  const own = new Set(
    table.providers.flatMap((provider) => (provider.tenant === tenant ? [provider.name] : [])),
  );
  const figuresOwn = (route: ViewRoute): ViewRoute => {
    if (own.has(route.provider) || route.health === undefined) return route;
    return { ...route, health: { open: route.health.open } };
  };
  return {
    ...table,
    config: { version: table.config.version },
    models: models.map((model) => ({
      ...model,
      routes: model.routes.map(figuresOwn),
      ...(model.shadow ? { shadow: figuresOwn(model.shadow) } : {}),
    })),
    providers: table.providers.filter((provider) => used.has(provider.name)),
    prices: Object.fromEntries(Object.entries(table.prices).filter(([model]) => visible(model))),
    workerModels: table.workerModels.filter(visible),
  };
}
