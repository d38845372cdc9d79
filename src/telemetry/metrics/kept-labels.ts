import { CATCH_ALLS } from "../../core/metric-catch-alls.ts";
import type { ConfiguredLabels } from "./metric-sources.ts";
import type { ShadowLabels } from "./shadow-metrics.ts";

/**
 * The label values no config names (core/metric-catch-alls.ts): a model nothing routes, one only
 * workers serve; a provider refused before any route, any worker, one a reload removed while a
 * request to it was under way (GatewayMetrics `providerLabel`); the platform's tenant, a keyless
 * caller's, one a reload removed.
 */
const UNCONFIGURED_MODELS = CATCH_ALLS.model;
const UNCONFIGURED_PROVIDERS = CATCH_ALLS.provider;
const UNCONFIGURED_TENANTS = CATCH_ALLS.tenant;

/**
 * Which label values the config in force still names, asked at an applied reload: a series of a
 * model it removed (by its name or an alias), of a model's route to a provider it removed, of a
 * provider or a tenant it removed, counts what no longer exists, and leaves the exposition
 * (GatewayMetrics `configReloaded`). The values no config names (`other`, `workers`, `none`, …)
 * are always kept.
 */
export class KeptLabels implements ShadowLabels {
  /** Each configured model label (a name, an alias) and the providers its routes go to. */
  private readonly routes = new Map<string, ReadonlySet<string>>();
  private readonly providers: ReadonlySet<string> | undefined;
  private readonly tenants: ReadonlySet<string>;
  readonly shadowProviders = new Set<string>();
  readonly shadowModels = new Set<string>();
  /** The shadowed models' labels: their names and aliases. */
  private readonly shadowedLabels = new Set<string>();
  /** A tenant or an app shadows: a copy's spend may be of any model's call. */
  private readonly everyModelShadowed: boolean;

  constructor(configured: ConfiguredLabels) {
    for (const { model, aliases = [], providers, shadowProvider } of configured.models) {
      const routed = new Set(providers);
      for (const label of [model, ...aliases]) this.routes.set(label, routed);
      if (shadowProvider === undefined) continue;
      this.shadowProviders.add(shadowProvider);
      this.shadowModels.add(model);
      for (const label of [model, ...aliases]) this.shadowedLabels.add(label);
    }
    for (const provider of configured.shadowProviders ?? []) this.shadowProviders.add(provider);
    this.everyModelShadowed = (configured.shadowProviders?.length ?? 0) > 0;
    this.providers = configured.providers && new Set(configured.providers);
    this.tenants = new Set(configured.tenants);
  }

  model(model: string): boolean {
    return UNCONFIGURED_MODELS.has(model) || this.routes.has(model);
  }

  /**
   * A model's series by the provider that served it: a route the config still has to it. A side
   * no config names is judged by the other side alone: `other` by a provider the config removed
   * leaves, as that provider's attempts do.
   */
  route(model: string, provider: string): boolean {
    if (UNCONFIGURED_MODELS.has(model)) return this.provider(provider);
    if (UNCONFIGURED_PROVIDERS.has(provider)) return this.model(model);
    return this.routes.get(model)?.has(provider) === true;
  }

  provider(provider: string): boolean {
    return (
      this.providers === undefined || UNCONFIGURED_PROVIDERS.has(provider) || this.providers.has(provider)
    );
  }

  /** A model a shadow copies the calls of: its own, or (a tenant's or an app's shadow) any the config names. */
  shadowed(model: string): boolean {
    return this.shadowedLabels.has(model) || (this.everyModelShadowed && this.model(model));
  }

  tenant(tenant: string): boolean {
    return UNCONFIGURED_TENANTS.has(tenant) || this.tenants.has(tenant);
  }
}
