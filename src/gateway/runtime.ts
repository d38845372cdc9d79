import type { Config } from "../config/config-schema.ts";
import type { ProviderFactory } from "../providers/create-provider.ts";
import type { Provider } from "../providers/provider.ts";
import { RouteTable, type WorkerDirectory } from "../routing/route-table.ts";

/**
 * Everything a request needs from config, built once per config version. A request reads
 * the current runtime once at arrival, so a reload never changes it midway.
 */
export interface Runtime {
  readonly version: number;
  readonly config: Config;
  readonly providers: ReadonlyMap<string, Provider>;
  readonly table: RouteTable;
}

export function buildRuntime(
  config: Config,
  version: number,
  factory: ProviderFactory,
  workers: WorkerDirectory | undefined,
  upstreamFetch?: typeof fetch,
): Runtime {
  const providers = new Map<string, Provider>();
  const context = {
    maxSseLine: config.routing.max_sse_line,
    ...(upstreamFetch ? { fetch: upstreamFetch } : {}),
  };
  for (const provider of config.providers) providers.set(provider.name, factory(provider, context));
  return { version, config, providers, table: new RouteTable(config, providers, workers) };
}

/** Holds the current runtime and swaps it whole; retired providers close after a grace. */
export class RuntimeHolder {
  private runtime: Runtime;

  constructor(
    config: Config,
    private readonly factory: ProviderFactory,
    private readonly workers: WorkerDirectory | undefined,
    private readonly upstreamFetch?: typeof fetch,
  ) {
    this.runtime = buildRuntime(config, 1, factory, workers, upstreamFetch);
  }

  get current(): Runtime {
    return this.runtime;
  }

  swap(config: Config): Runtime {
    const retired = this.runtime;
    this.runtime = buildRuntime(config, retired.version + 1, this.factory, this.workers, this.upstreamFetch);
    // Requests already under way keep their old providers; close them once those have had time.
    setTimeout(() => {
      for (const provider of retired.providers.values()) provider.close?.();
    }, retired.config.server.drain_timeout).unref();
    return this.runtime;
  }
}
