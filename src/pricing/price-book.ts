import { globToRegExp } from "../auth/model-glob.ts";
import type { Pricing, Served } from "../auth/rate-limiter.ts";
import type { Config } from "../config/config-schema.ts";
import type { Usage } from "../core/usage.ts";
import {
  type CatalogueEntry,
  catalogueCost,
  catalogueEntry,
  catalogueProviderId,
  linearCost,
} from "./catalogue.ts";
import type { PriceTable } from "./price-table.ts";

/** Where a model's price comes from, for `mindgw models` and `config check`. */
export type PriceSource =
  | { readonly kind: "config"; readonly pattern: string }
  | { readonly kind: "catalogue"; readonly entry: CatalogueEntry }
  /** The built-in mock provider: nothing is billed. */
  | { readonly kind: "free" }
  | { readonly kind: "unpriced" };

type PriceEntry = PriceTable[string];

/**
 * What each answer costs, from one config version. A price in `prices:` (by client-facing model
 * name, globs allowed, exact wins) overrides; otherwise the catalogue's price of the upstream
 * model on the provider that served it (`@pydantic/genai-prices`, pinned), with cache reads,
 * cache writes and prompt-size tiers. Workers and self-hosted servers have no catalogue price.
 */
export class PriceBook implements Pricing {
  private readonly providerIds = new Map<string, string | undefined>();
  private readonly free = new Set<string>();
  private readonly catalogue = new Map<string, CatalogueEntry | undefined>();

  constructor(private readonly config: Pick<Config, "prices" | "providers" | "models">) {
    for (const provider of config.providers) {
      const preset = "preset" in provider ? (provider.preset as string | undefined) : undefined;
      this.providerIds.set(provider.name, catalogueProviderId(provider.type, preset));
      if (provider.type === "mock") this.free.add(provider.name);
    }
  }

  /** The cost in USD of one answer; 0 when nothing prices it. */
  cost(model: string, usage: Usage, served?: Served): number {
    const price = this.configPrice(model);
    if (price) return configCost(price[1], usage);
    const upstream = this.catalogueTarget(served?.route ?? null, served?.upstreamModel ?? null);
    if (!upstream) return 0;
    return catalogueCost(upstream.model, upstream.providerId, usage) ?? 0;
  }

  /**
   * True when every way the model can be served has a price: a `prices:` entry, or a catalogue
   * price for each of its configured routes. Models only workers serve are unpriced unless
   * `prices:` names them (a price of 0 is a price).
   */
  isPriced(model: string): boolean {
    if (this.config.models.find((m) => m.name === model)?.allow_unpriced) return true;
    return this.sources(model).every((source) => source.kind !== "unpriced");
  }

  /** The price source of each route of a configured model (one entry when `prices:` covers it). */
  sources(model: string): PriceSource[] {
    const price = this.configPrice(model);
    if (price) return [{ kind: "config", pattern: price[0] }];
    const configured = this.config.models.find((m) => m.name === model);
    if (!configured) return [{ kind: "unpriced" }];
    return configured.routes.map((route): PriceSource => {
      if (this.free.has(route.provider)) return { kind: "free" };
      const upstream = this.catalogueTarget(`provider:${route.provider}`, route.model);
      const entry = upstream && this.entry(upstream.model, upstream.providerId);
      return entry ? { kind: "catalogue", entry } : { kind: "unpriced" };
    });
  }

  /** The catalogue's context window for an upstream model on a provider, where it knows one. */
  contextWindow(provider: string, upstreamModel: string): number | undefined {
    const upstream = this.catalogueTarget(`provider:${provider}`, upstreamModel);
    return upstream && this.entry(upstream.model, upstream.providerId)?.contextWindow;
  }

  private configPrice(model: string): [string, PriceEntry] | undefined {
    const exact = this.config.prices[model];
    if (exact) return [model, exact];
    for (const [pattern, price] of Object.entries(this.config.prices))
      if (pattern.includes("*") && globToRegExp(pattern).test(model)) return [pattern, price];
    return undefined;
  }

  private catalogueTarget(route: string | null, model: string | null) {
    if (!route?.startsWith("provider:") || !model) return undefined;
    const providerId = this.providerIds.get(route.slice("provider:".length));
    return providerId ? { providerId, model } : undefined;
  }

  private entry(model: string, providerId: string): CatalogueEntry | undefined {
    const key = `${providerId}/${model}`;
    if (!this.catalogue.has(key)) this.catalogue.set(key, catalogueEntry(model, providerId));
    return this.catalogue.get(key);
  }
}

/** A config price: cached reads and cache writes at their own rates when given, else as input. */
function configCost(price: PriceEntry, usage: Usage): number {
  return linearCost(
    {
      input: price.input_per_mtok,
      output: price.output_per_mtok,
      cacheRead: price.cached_input_per_mtok,
      cacheWrite: price.cache_write_per_mtok,
    },
    usage,
  );
}
