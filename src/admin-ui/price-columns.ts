import type { PriceTable } from "../config/price-table.ts";

/** One model's prices as `/admin/api/routing` gives them: the config's `prices:` entry. */
export type PriceView = PriceTable[string];

/** A rate a price may set beyond input and output, with the column it is shown under. */
type OptionalRate = Exclude<keyof PriceView, "input_per_mtok" | "output_per_mtok">;

const OPTIONAL_RATES: readonly { rate: OptionalRate; label: string }[] = [
  { rate: "cached_input_per_mtok", label: "Cached input" },
  { rate: "cache_write_per_mtok", label: "Cache write" },
  { rate: "cache_write_1h_per_mtok", label: "Cache write (1 h)" },
  { rate: "input_audio_per_mtok", label: "Input audio" },
  { rate: "output_audio_per_mtok", label: "Output audio" },
  { rate: "web_searches_per_k", label: "Web searches (per 1,000)" },
];

/**
 * The Models page's price columns past Input and Output: each rate some model's price sets, in the
 * schema's order (config/price-table.ts). A rate no price sets gets no column, so a table of plain
 * input and output prices reads as before.
 */
export function priceColumns(prices: Readonly<Record<string, PriceView>>): typeof OPTIONAL_RATES {
  const all = Object.values(prices);
  return OPTIONAL_RATES.filter(({ rate }) => all.some((price) => price[rate] !== undefined));
}
