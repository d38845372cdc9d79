import { onDemand } from "../core/on-demand.ts";
import { correctedOptions } from "./catalogue-corrections.ts";
import { catalogueProviderId, type ProviderKind } from "./catalogue-provider-id.ts";

type CalcPrice = typeof import("@pydantic/genai-prices").calcPrice;

/**
 * The price catalogue (`@pydantic/genai-prices`), loaded where a config first names a provider it
 * prices: its hundreds of models are megabytes of heap, and most of a megabyte of code, that a
 * gateway routing to no catalogued provider (the embedded defaults' mock, self-hosted servers,
 * workers) never reads. Awaited before such a config is put to use (`loadCatalogueFor`), so that
 * route tables, price books and pricing an answer read it synchronously.
 */
const catalogue = onDemand("the price catalogue", "loadCatalogue", async (): Promise<CalcPrice> => {
  return (await import("@pydantic/genai-prices")).calcPrice;
});

export const loadCatalogue = catalogue.load;
/**
 * How long a load may take before what waits on it goes on without it: a chunk of the executable
 * read from disk, milliseconds, seconds on a starved host. A config waits this long on the event
 * loop (gateway/applied-when-loaded.ts), the shadow thread its rules (shadow/shadow-thread.ts).
 */
export const CATALOGUE_LOAD_LIMIT_MS = 30_000;

/** Has the catalogue been loaded? */
export const catalogueLoaded = catalogue.loaded;

/**
 * The catalogue's calculation, with the gateway's corrections of its prices
 * (catalogue-corrections.ts); a `NotLoadedError` (core/on-demand.ts) before `loadCatalogue`.
 */
export const calcPrice: CalcPrice = (usage, model, options) =>
  catalogue.get()(usage, model, correctedOptions(model, options));

/** Does the catalogue price any of these providers (and so must be loaded for them)? */
export const pricesAny = (providers: readonly ProviderKind[]): boolean =>
  providers.some((provider) => catalogueProviderId(provider) !== undefined);

/**
 * Is the catalogue loaded, if these providers need it? A config whose providers it prices is put
 * to use only then.
 */
export const catalogueReadyFor = (providers: readonly ProviderKind[]): boolean =>
  catalogueLoaded() || !pricesAny(providers);

/** Loads the catalogue when any of these providers is one it prices. */
export async function loadCatalogueFor(providers: readonly ProviderKind[]): Promise<void> {
  if (pricesAny(providers)) await loadCatalogue();
}
