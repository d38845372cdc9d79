/** What of the routing view (gateway/routing-view.ts) a tenant's reader is narrowed on. */
export interface RoutingTable {
  /** The config in force: its file's path (gateway-wide, as `/admin/api/status` has it) and version. */
  readonly config: { readonly path?: string | null; readonly version: number };
  readonly models: readonly {
    readonly name: string;
    readonly routes: readonly { readonly provider: string }[];
    readonly shadow?: { readonly provider: string };
  }[];
  readonly providers: readonly { readonly name: string }[];
  readonly prices: Readonly<Record<string, unknown>>;
  readonly workerModels: readonly string[];
}

/**
 * The routing table as a reader who may see only some models sees it: those models (a glob entry
 * is tested as its own name, as an allow-list covers a glob), the providers their routes and
 * shadows use, their prices, and the worker-served models among them, and the config's version.
 * Another tenant's models, and where they are sent, are left out, and so is the config file's path
 * (gateway-wide: the status leaves it out for such a reader too, admin-status.ts).
 */
export function routingFor<T extends RoutingTable>(table: T, visible: (model: string) => boolean): T {
  const models = table.models.filter((model) => visible(model.name));
  const used = new Set(
    models.flatMap((model) =>
      [...model.routes, ...(model.shadow ? [model.shadow] : [])].map((r) => r.provider),
    ),
  );
  return {
    ...table,
    config: { version: table.config.version },
    models,
    providers: table.providers.filter((provider) => used.has(provider.name)),
    prices: Object.fromEntries(Object.entries(table.prices).filter(([model]) => visible(model))),
    workerModels: table.workerModels.filter(visible),
  };
}
