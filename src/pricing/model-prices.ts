import type { Config } from "../config/config-schema.ts";
import { PriceBook, type PriceSource } from "./price-book.ts";

/** One route of a configured model with what it will cost: what `mindgw models` prints. */
export interface RoutePrice {
  model: string;
  provider: string;
  upstreamModel: string;
  /** USD per million tokens; null when unpriced. */
  inputPerMtok: number | null;
  outputPerMtok: number | null;
  cachedInputPerMtok: number | null;
  contextWindow: number | null;
  /** `config prices["house-*"]`, `catalogue openai/gpt-4o-mini`, or `unpriced`. */
  source: string;
  allowUnpriced: boolean;
}

/** Every configured model's routes, priced the way requests will be. */
export function modelPrices(config: Config): RoutePrice[] {
  const book = new PriceBook(config);
  return config.models.flatMap((model) => {
    const sources = book.sources(model.name);
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

/** One warning per routed model a budget could not bind on. */
export function unpricedWarnings(config: Config): string[] {
  return modelPrices(config)
    .filter((route) => route.source === "unpriced" && !route.allowUnpriced)
    .map(
      (route) =>
        `warning: model ${route.model} (route ${route.provider}/${route.upstreamModel}) has no price: it costs $0 and keys with a budget are refused it; set prices["${route.model}"] or allow_unpriced: true`,
    );
}

function priceOf(config: Config, source: PriceSource | undefined) {
  if (source?.kind === "config") {
    const price = config.prices[source.pattern];
    return {
      inputPerMtok: price?.input_per_mtok ?? null,
      outputPerMtok: price?.output_per_mtok ?? null,
      cachedInputPerMtok: price?.cached_input_per_mtok ?? null,
    };
  }
  if (source?.kind === "catalogue") {
    const { entry } = source;
    return {
      inputPerMtok: entry.inputPerMtok,
      outputPerMtok: entry.outputPerMtok,
      cachedInputPerMtok: entry.cachedInputPerMtok ?? null,
    };
  }
  if (source?.kind === "free") return { inputPerMtok: 0, outputPerMtok: 0, cachedInputPerMtok: null };
  return { inputPerMtok: null, outputPerMtok: null, cachedInputPerMtok: null };
}

function describe(source: PriceSource | undefined): string {
  if (source?.kind === "config") return `config prices["${source.pattern}"]`;
  if (source?.kind === "catalogue") return `catalogue ${source.entry.id}`;
  if (source?.kind === "free") return "free (mock provider)";
  return "unpriced";
}
