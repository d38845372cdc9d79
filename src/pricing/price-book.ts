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
  /** The catalogue's provider by route label (`provider:<name>`), for providers it knows. */
  private readonly providerIds = new Map<string, string>();
  private readonly free = new Set<string>();
  private readonly catalogue = new Map<string, CatalogueEntry | undefined>();
  /** The `prices:` globs in config order, each with its pattern compiled once. */
  private readonly globs: readonly (readonly [string, RegExp, PriceEntry])[];

  constructor(private readonly config: Pick<Config, "prices" | "providers" | "models">) {
    for (const provider of config.providers) {
      const preset = "preset" in provider ? (provider.preset as string | undefined) : undefined;
      const providerId = catalogueProviderId(provider.type, preset);
      if (providerId !== undefined) this.providerIds.set(`provider:${provider.name}`, providerId);
      if (provider.type === "mock") this.free.add(provider.name);
    }
    this.globs = Object.entries(config.prices)
      .filter(([pattern]) => pattern.includes("*"))
      .map(([pattern, price]) => [pattern, globToRegExp(pattern), price] as const);
  }

  /**
   * The cost in USD of one answer; 0 when nothing prices it. Runs once per request: nothing is
   * made for a lookup (no entries array, no route text cut, no target object).
   */
  cost(model: string, usage: Usage, served: Served | undefined, at: number): number {
    const price = this.configEntry(model);
    if (price) return configCost(price, usage);
    const route = served?.route;
    const upstreamModel = served?.upstreamModel;
    const providerId = route ? this.providerIds.get(route) : undefined;
    if (providerId === undefined || !upstreamModel) return 0;
    return catalogueCost(upstreamModel, providerId, usage, at) ?? 0;
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

  /** The `prices:` entry for a model: its exact name first, then the first glob that matches. */
  private configEntry(model: string): PriceEntry | undefined {
    const exact = this.config.prices[model];
    if (exact) return exact;
    for (const glob of this.globs) if (glob[1].test(model)) return glob[2];
    return undefined;
  }

  /** As `configEntry`, with the pattern that matched. */
  private configPrice(model: string): readonly [string, PriceEntry] | undefined {
    const exact = this.config.prices[model];
    if (exact) return [model, exact];
    for (const glob of this.globs) if (glob[1].test(model)) return [glob[0], glob[2]];
    return undefined;
  }

  private catalogueTarget(route: string, model: string) {
    const providerId = this.providerIds.get(route);
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
