import { compileGlob, type ModelGlob } from "../auth/model-glob.ts";
import type { Pricing, Served } from "../auth/rate-limiter.ts";
import type { Config, ModelConfig } from "../config/config-schema.ts";
import type { PriceTable } from "../config/price-table.ts";
import type { Usage } from "../core/usage.ts";
import { ModelIndex, type ModelMatch } from "../models/model-index.ts";
import { PASS_NAME } from "../models/pass-name.ts";
import { cacheBounded, cachedAndTouched } from "./bounded-cache.ts";
import {
  type CatalogueEntry,
  catalogueCost,
  catalogueEntry,
  type LinearRates,
  linearCost,
} from "./catalogue.ts";
import { catalogueProviderId } from "./catalogue-provider-id.ts";

/** Where a model's price comes from, for `mindgw models` and `config check`. */
export type PriceSource =
  | { readonly kind: "config"; readonly pattern: string }
  | { readonly kind: "catalogue"; readonly entry: CatalogueEntry }
  /**
   * A `*` route of a glob entry (`claude-*`) on a provider the catalogue knows: each request's
   * upstream model is the name it sent, looked up in the catalogue then. No one price to show.
   */
  | { readonly kind: "catalogue-by-name"; readonly providerId: string }
  /** The built-in mock provider: nothing is billed. */
  | { readonly kind: "free" }
  | { readonly kind: "unpriced" };

type PriceEntry = PriceTable[string];
/** A `prices:` glob and its compiled pattern. */
type PriceGlob = readonly [string, ModelGlob];

/**
 * What each answer costs, from one config version. A price in `prices:` overrides: by the
 * client-facing model name (globs allowed, exact wins), else by the name of the `models:` entry
 * that name resolves to (an alias or a name only a glob entry matches is priced as its entry; a
 * price glob narrower than that entry still first: `pricePattern`).
 * Otherwise the catalogue's price of the upstream model on the provider that served it
 * (`@pydantic/genai-prices`, pinned), with cache reads, cache writes and prompt-size tiers.
 * Workers and self-hosted servers have no catalogue price.
 */
export class PriceBook implements Pricing {
  /** The catalogue's provider by route label (`provider:<name>`), for providers it knows. */
  private readonly providerIds = new Map<string, string>();
  private readonly free = new Set<string>();
  /**
   * Catalogue entries by `provider/model`, bounded: admission asks for the names clients send
   * (`isPriced` of a budgeted key's model under a `*` route), made-up ones included.
   */
  private readonly catalogue = new Map<string, CatalogueEntry | undefined>();
  /**
   * `isPriced` of each name a `models:` entry is called by (its name, its aliases; not a glob's
   * matches, which are the names clients send): finite for a config version, so a `/v1/models`
   * listing under a budget asks each once a PriceBook, not the catalogue (and its bounded cache,
   * which admission's lookups share) every time.
   */
  private readonly pricedNames = new Map<string, boolean>();
  /** `models:` entries' names that `prices:` has a price under (the entry's own price: `pricePattern`). */
  private readonly pricedEntries = new Set<string>();
  /** The names `pricedNames` may hold. */
  private readonly configuredNames = new Set<string>();
  /** The `prices:` globs in config order, each with its pattern compiled once. */
  private readonly globs: readonly PriceGlob[];
  /** Client names → `models:` entries, matched as the router matches them (names, aliases, globs). */
  private readonly models = new ModelIndex<ModelConfig>();

  constructor(private readonly config: Pick<Config, "prices" | "providers" | "models">) {
    for (const provider of config.providers) {
      const providerId = catalogueProviderId(provider);
      if (providerId !== undefined) this.providerIds.set(`provider:${provider.name}`, providerId);
      if (provider.type === "mock") this.free.add(provider.name);
    }
    for (const model of config.models) {
      this.models.add(model.name, model.aliases, model);
      if (this.pricedExactly(model.name)) this.pricedEntries.add(model.name);
      for (const name of [model.name, ...(model.aliases ?? [])])
        if (!name.includes("*")) this.configuredNames.add(name);
    }
    this.globs = Object.keys(config.prices)
      .filter((pattern) => pattern.includes("*"))
      .map((pattern) => [pattern, compileGlob(pattern)] as const);
  }

  /**
   * The cost in USD of one answer; 0 when nothing prices it. Runs once per request: nothing is
   * made for a lookup (no entries array, no route text cut, no target object).
   */
  cost(model: string, usage: Usage, served: Served | undefined, at: number): number {
    const pattern = this.pricePattern(model);
    const price = pattern === undefined ? undefined : this.config.prices[pattern];
    if (price) return configCost(price, usage);
    const route = served?.route;
    const upstreamModel = served?.upstreamModel;
    const providerId = route ? this.providerIds.get(route) : undefined;
    if (providerId === undefined || !upstreamModel) return 0;
    return catalogueCost(upstreamModel, providerId, usage, at) ?? 0;
  }

  /**
   * True when every way the model can be served has a price: a `prices:` entry, or a catalogue
   * price for each route of its `models:` entry; or when that entry says `allow_unpriced`.
   * Models only workers serve are unpriced unless `prices:` names them (a price of 0 is a price).
   */
  isPriced(model: string): boolean {
    const known = this.pricedNames.get(model);
    if (known !== undefined) return known;
    // A configured name is looked up in the catalogue itself, once: not through the bounded cache.
    const configured = this.configuredNames.has(model);
    const priced =
      this.models.planOf(model)?.allow_unpriced === true ||
      this.sourcesBy(model, configured ? catalogueEntry : this.cachedEntry).every(
        (source) => source.kind !== "unpriced",
      );
    if (configured) this.pricedNames.set(model, priced);
    return priced;
  }

  /**
   * The price source of each route of the model's `models:` entry (one entry when `prices:`
   * covers it). A route whose `model` is `*` is priced as the name the client sent.
   */
  sources(model: string): PriceSource[] {
    return this.sourcesBy(model, this.cachedEntry);
  }

  /** `sources`, the catalogue read through `entryOf`. */
  private sourcesBy(model: string, entryOf: EntryOf): PriceSource[] {
    const pattern = this.pricePattern(model);
    if (pattern !== undefined) return [{ kind: "config", pattern }];
    const configured = this.models.planOf(model);
    if (!configured) return [{ kind: "unpriced" }];
    return configured.routes.map((route) =>
      this.routeSource(route.provider, route.model === PASS_NAME ? model : route.model, entryOf),
    );
  }

  /**
   * The price source of each route of a `models:` entry, as `mindgw models` and `config check`
   * describe the entry (one source when `prices:` covers its name). As `sources` of its name,
   * but a `*` route of a glob entry sends no name of the config's upstream: each request's own,
   * priced by the catalogue on a provider it knows, by nothing on one it does not (workers,
   * self-hosted servers).
   */
  entrySources(entry: Pick<ModelConfig, "name" | "routes">): PriceSource[] {
    if (!entry.name.includes("*")) return this.sources(entry.name);
    const pattern = this.pricedAs(entry.name);
    if (pattern !== undefined) return [{ kind: "config", pattern }];
    return entry.routes.map((route): PriceSource => {
      if (route.model !== PASS_NAME) return this.routeSource(route.provider, route.model);
      if (this.free.has(route.provider)) return { kind: "free" };
      const providerId = this.providerIds.get(`provider:${route.provider}`);
      return providerId ? { kind: "catalogue-by-name", providerId } : { kind: "unpriced" };
    });
  }

  /** Where a route's answers of one upstream model are priced, `prices:` aside. */
  private routeSource(
    provider: string,
    upstreamModel: string,
    entryOf: EntryOf = this.cachedEntry,
  ): PriceSource {
    if (this.free.has(provider)) return { kind: "free" };
    const upstream = this.catalogueTarget(`provider:${provider}`, upstreamModel);
    const entry = upstream && entryOf(upstream.model, upstream.providerId);
    return entry ? { kind: "catalogue", entry } : { kind: "unpriced" };
  }

  /** The catalogue's context window for an upstream model on a provider, where it knows one. */
  contextWindow(provider: string, upstreamModel: string): number | undefined {
    const upstream = this.catalogueTarget(`provider:${provider}`, upstreamModel);
    return upstream && this.entry(upstream.model, upstream.providerId)?.contextWindow;
  }

  /**
   * The `prices:` key that prices a client's model name: a price of the name itself; else, for a
   * `models:` entry priced under its own name (an alias's, a glob-matched name's: `gpt-4o*`), that
   * entry's price, but for a name a glob matched only over price globs at least as wide as it; else the
   * first price glob that matches the name, else its entry's name.
   */
  private pricePattern(model: string): string | undefined {
    if (this.pricedExactly(model)) return model;
    // The entry is looked up first only where one has a price of its own (most configs: none).
    if (this.pricedEntries.size === 0)
      return this.pricedByGlob(model) ?? this.pricedByGlobOf(this.models.planOf(model)?.name);
    const routed = this.models.match(model);
    if (routed !== undefined && this.pricedEntries.has(routed.entry))
      return this.entryPriceOver(model, routed);
    return this.pricedByGlob(model) ?? this.pricedByGlobOf(routed?.entry);
  }

  /**
   * The price of a name routed by an entry that `prices:` prices under its own name, judged by the
   * name or alias that matched (`pattern`), not the entry's name (an exact `claude` may have the
   * alias `claude-*`). Matched exactly (the alias `house-latest` of `house`), the entry's price
   * wins. Matched by a glob, the entry's wins over the first price glob that matches the name when
   * that glob is as wide as the matching glob or wider (it matches that glob's own text: a `gpt-*`
   * written first is not to take what `gpt-4o*` routes, and `mindgw models` shows at that entry's
   * price); a narrower one written first (`claude-opus-*` in `claude-*`) still prices the names it
   * covers.
   */
  private entryPriceOver(model: string, { entry, pattern }: ModelMatch<ModelConfig>): string {
    if (!pattern.includes("*")) return entry;
    const first = this.firstGlob(model);
    return first === undefined || first[1].test(pattern) ? entry : first[0];
  }

  /** The `prices:` key for one name: the name itself, else the first glob that matches it. */
  private pricedAs(name: string): string | undefined {
    return this.pricedExactly(name) ? name : this.pricedByGlob(name);
  }

  /** Whether `prices:` has a key of `name` as written. */
  private pricedExactly(name: string): boolean {
    // Own keys only: a client's model name is not to find `constructor` on the object's prototype.
    return Object.hasOwn(this.config.prices, name);
  }

  /** The first `prices:` glob that matches `name`. */
  private pricedByGlob(name: string): string | undefined {
    return this.firstGlob(name)?.[0];
  }

  /** `pricedByGlob` of an entry's name, when there is an entry. */
  private pricedByGlobOf(entry: string | undefined): string | undefined {
    return entry === undefined ? undefined : this.pricedByGlob(entry);
  }

  /** The first `prices:` glob that matches `name`, with its matcher. */
  private firstGlob(name: string): PriceGlob | undefined {
    for (const glob of this.globs) if (glob[1].test(name)) return glob;
    return undefined;
  }

  private catalogueTarget(route: string, model: string) {
    const providerId = this.providerIds.get(route);
    return providerId ? { providerId, model } : undefined;
  }

  /** Catalogue lookups held (for tests). */
  get cachedLookups(): number {
    return this.catalogue.size;
  }

  /** `entry`, as an `EntryOf`. */
  private readonly cachedEntry: EntryOf = (model, providerId) => this.entry(model, providerId);

  private entry(model: string, providerId: string): CatalogueEntry | undefined {
    const key = `${providerId}/${model}`;
    if (cachedAndTouched(this.catalogue, key)) return this.catalogue.get(key);
    const found = catalogueEntry(model, providerId);
    cacheBounded(this.catalogue, key, found);
    return found;
  }
}

/** Where a catalogue entry is read from: the catalogue itself, or the bounded cache in front of it. */
type EntryOf = (model: string, providerId: string) => CatalogueEntry | undefined;

/** A config price's rates: a part without its own is priced as its whole (`linearCost`). */
export const configRates = (price: PriceEntry): LinearRates => ({
  input: price.input_per_mtok,
  output: price.output_per_mtok,
  cacheRead: price.cached_input_per_mtok,
  cacheWrite: price.cache_write_per_mtok,
  cacheWrite1h: price.cache_write_1h_per_mtok,
  inputAudio: price.input_audio_per_mtok,
  outputAudio: price.output_audio_per_mtok,
  webSearchesPerK: price.web_searches_per_k,
});

/** A config price: each part of the usage at its own rate when given, else as its whole. */
const configCost = (price: PriceEntry, usage: Usage): number => linearCost(configRates(price), usage);
