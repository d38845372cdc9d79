import type { Config } from "../config/config-schema.ts";
import type { LinearRates } from "./catalogue.ts";
import { configRates, PriceBook, type PriceSource } from "./price-book.ts";

/**
 * What a route's answers cost per part, in USD per million tokens (web searches: per thousand).
 * Null where the price has no rate of its own for the part, which is then priced as its whole
 * (cache reads and writes as input, hour-long writes as other writes, audio as text; searches
 * not at all), and for all of them when the route is unpriced.
 */
export interface PartPrices {
  inputPerMtok: number | null;
  outputPerMtok: number | null;
  cachedInputPerMtok: number | null;
  cacheWritePerMtok: number | null;
  /** Cache writes that live an hour (Anthropic's `ttl: "1h"`). */
  cacheWrite1hPerMtok: number | null;
  inputAudioPerMtok: number | null;
  outputAudioPerMtok: number | null;
  webSearchesPerK: number | null;
}

/** One route of a configured model with what it will cost: what `mindgw models` prints. */
export interface RoutePrice extends PartPrices {
  model: string;
  provider: string;
  upstreamModel: string;
  contextWindow: number | null;
  /**
   * `config prices["house-*"]`, `catalogue openai/gpt-4o-mini`, `catalogue, by the name sent` (a
   * `*` route of a glob entry: no one price, each name looked up as it comes), or `unpriced`.
   */
  source: string;
  allowUnpriced: boolean;
}

/** Every configured model's routes, priced the way requests will be. */
export function modelPrices(config: Config): RoutePrice[] {
  const book = new PriceBook(config);
  return config.models.flatMap((model) => {
    const sources = book.entrySources(model);
    return model.routes.map((route, i): RoutePrice => {
      const source = sources.length === 1 && sources[0]?.kind === "config" ? sources[0] : sources[i];
      return {
        model: model.name,
        provider: route.provider,
        upstreamModel: route.model,
        ...priceOf(config, source),
        contextWindow: book.contextWindow(route.provider, route.model) ?? null,
        source: describe(source),
        allowUnpriced: model.allow_unpriced,
      };
    });
  });
}

/**
 * One warning per unpriced route of a model a budget could not bind on. A price in `prices:`
 * prices the model on every route: where the catalogue prices its other routes, the warning says
 * what such a price would replace.
 */
export function unpricedWarnings(config: Config): string[] {
  const book = new PriceBook(config);
  return config.models
    .filter((model) => !model.allow_unpriced)
    .flatMap((model) => {
      const sources = book.entrySources(model);
      const catalogued = sources.some((s) => s.kind === "catalogue" || s.kind === "catalogue-by-name");
      const remedy = catalogued
        ? `set allow_unpriced: true (the catalogue still prices its other routes), or prices["${model.name}"], which replaces the catalogue's prices on every route of it`
        : `set prices["${model.name}"] or allow_unpriced: true`;
      return model.routes
        .filter((_, i) => sources[i]?.kind === "unpriced")
        .map(
          (route) =>
            `warning: model ${model.name} (route ${route.provider}/${route.model}) has no price: it costs $0 and keys with a budget are refused it; ${remedy}`,
        );
    });
}

function priceOf(config: Config, source: PriceSource | undefined): PartPrices {
  if (source?.kind === "config") {
    const price = config.prices[source.pattern];
    return price ? partPrices(configRates(price)) : partPrices(undefined);
  }
  if (source?.kind === "catalogue") {
    const { entry } = source;
    return {
      ...partPrices(entry.rates),
      inputPerMtok: entry.inputPerMtok,
      outputPerMtok: entry.outputPerMtok,
      cachedInputPerMtok: entry.cachedInputPerMtok ?? null,
    };
  }
  if (source?.kind === "free") return { ...partPrices(undefined), inputPerMtok: 0, outputPerMtok: 0 };
  return partPrices(undefined);
}

/** Each part's own rate, null where there is none. */
const partPrices = (rates: LinearRates | undefined): PartPrices => ({
  inputPerMtok: rates?.input ?? null,
  outputPerMtok: rates?.output ?? null,
  cachedInputPerMtok: rates?.cacheRead ?? null,
  cacheWritePerMtok: rates?.cacheWrite ?? null,
  cacheWrite1hPerMtok: rates?.cacheWrite1h ?? null,
  inputAudioPerMtok: rates?.inputAudio ?? null,
  outputAudioPerMtok: rates?.outputAudio ?? null,
  webSearchesPerK: rates?.webSearchesPerK ?? null,
});

function describe(source: PriceSource | undefined): string {
  if (source?.kind === "config") return `config prices["${source.pattern}"]`;
  if (source?.kind === "catalogue") return `catalogue ${source.entry.id}`;
  if (source?.kind === "catalogue-by-name") return "catalogue, by the name sent";
  if (source?.kind === "free") return "free (mock provider)";
  return "unpriced";
}
