import { type Config, WORKERS_PROVIDER } from "../../config/config-schema.ts";
import { configuredRoutes } from "../../config/configured-routes.ts";
import { PASS_NAME } from "../../models/pass-name.ts";

/** A route's breaker as `RouteHealth.breakers()` reports it, by route key (`provider/model`). */
export interface BreakerReading {
  readonly key: string;
  readonly state: BreakerState;
}

export type BreakerState = "closed" | "open" | "half_open";

export interface BreakerSeries {
  readonly provider: string;
  readonly upstreamModel: string;
  readonly state: BreakerState;
}

const SEVERITY: Readonly<Record<BreakerState, number>> = { closed: 0, half_open: 1, open: 2 };

/**
 * The breaker gauge's series, bounded by the config. A route whose model is `*` keeps one breaker
 * per client model name it passed on (route-table.ts `named`), and clients choose those names:
 * they are shown as one series, the route as configured (`upstream_model="*"`), in the state of
 * the most open of them. So are the models only connected workers serve (`workers/<name>`, a name
 * the worker chose): `workers/*`. Every other key is a configured route, shown as it is. Read at
 * scrape time only.
 */
export function breakerSeries(breakers: readonly BreakerReading[], config: Config): BreakerSeries[] {
  const { keys: routes, globProviders } = configuredRoutes(config);
  // The workers' models are passed on by name too, whatever the config says.
  const passing = new Set([WORKERS_PROVIDER, ...globProviders]);
  const series = new Map<string, BreakerSeries>();
  for (const { key, state } of breakers) {
    // Route keys are `provider/model`; provider names never contain a slash.
    const slash = key.indexOf("/");
    const provider = key.slice(0, slash);
    const folded = !routes.has(key) && passing.has(provider);
    const upstreamModel = folded ? PASS_NAME : key.slice(slash + 1);
    const label = `${provider}/${upstreamModel}`;
    const seen = series.get(label);
    if (!seen || SEVERITY[state] > SEVERITY[seen.state])
      series.set(label, { provider, upstreamModel, state });
  }
  return [...series.values()];
}
