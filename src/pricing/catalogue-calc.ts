type CalcPrice = typeof import("@pydantic/genai-prices").calcPrice;

let loaded: CalcPrice | undefined;

/**
 * Loads the price catalogue (`@pydantic/genai-prices`) if it is not yet: its hundreds of models
 * are megabytes of heap, and most of a megabyte of code, that a gateway routing to no catalogued
 * provider (the embedded defaults' mock, self-hosted servers, workers) never reads. An `import()`,
 * not a `require()` on first use: the executable keeps what is imported in a chunk of its own, read
 * only when imported, where what is required is bundled into the code read at start
 * (docs/BENCHMARKS.md, idle RSS). Awaited before a config it prices is put to use
 * (`loadCatalogueFor`), so that pricing an answer stays synchronous.
 */
export async function loadCatalogue(): Promise<void> {
  loaded ??= (await import("@pydantic/genai-prices")).calcPrice;
}

/** The catalogue, where it is loaded with the code that uses it (the shadow thread). */
export function provideCatalogue(calc: CalcPrice): void {
  loaded ??= calc;
}

/** Has the catalogue been loaded? */
export const catalogueLoaded = (): boolean => loaded !== undefined;

/** The catalogue's calculation; the catalogue is loaded first (`loadCatalogue`). */
export const calcPrice: CalcPrice = (...args) => {
  if (loaded === undefined)
    throw new Error("the price catalogue is read before it is loaded (loadCatalogue)");
  return loaded(...args);
};
