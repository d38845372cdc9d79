import type { PriceTable } from "../config/price-table.ts";

/** One model's prices as `/admin/api/routing` gives them: the config's `prices:` entry. */
export type PriceView = PriceTable[string];

/** A rate a price may set beyond input and output, with the column it is shown under. */
type OptionalRate = Exclude<keyof PriceView, "input_per_mtok" | "output_per_mtok">;

/**
 * Each optional rate's column label. A record over every rate, not a list: a rate added to the
 * schema (config/price-table.ts) fails the type check here until it has a column.
 */
const LABELS: Record<OptionalRate, string> = {
  cached_input_per_mtok: "Cached input",
  cache_write_per_mtok: "Cache write",
  cache_write_1h_per_mtok: "Cache write (1 h)",
  input_audio_per_mtok: "Input audio",
  output_audio_per_mtok: "Output audio",
  web_searches_per_k: "Web searches (per 1,000)",
};

const OPTIONAL_RATES: readonly { rate: OptionalRate; label: string }[] = (
  Object.keys(LABELS) as OptionalRate[]
).map((rate) => ({ rate, label: LABELS[rate] }));

/**
 * The Models page's price columns past Input and Output: each rate some model's price sets, in the
 * schema's order (config/price-table.ts). A rate no price sets gets no column, so a table of plain
 * input and output prices reads as before.
 */
export function priceColumns(prices: Readonly<Record<string, PriceView>>): typeof OPTIONAL_RATES {
  const all = Object.values(prices);
  return OPTIONAL_RATES.filter(({ rate }) => all.some((price) => price[rate] !== undefined));
}
