import { z } from "zod";
import type { Usage } from "../core/usage.ts";
import { globToRegExp } from "./model-glob.ts";

/** `prices:` in config: USD per million tokens, per model name (globs allowed, exact wins). */
export const priceTableSchema = z.record(
  z.string(),
  z.strictObject({
    input_per_mtok: z.number().nonnegative(),
    output_per_mtok: z.number().nonnegative(),
  }),
);
export type PriceTable = z.infer<typeof priceTableSchema>;

/** Cost in USD of one answer; 0 for a model with no price. */
export function costOf(prices: PriceTable, model: string, usage: Usage): number {
  const price = prices[model] ?? globPrice(prices, model);
  if (!price) return 0;
  return (usage.inputTokens * price.input_per_mtok + usage.outputTokens * price.output_per_mtok) / 1e6;
}

function globPrice(prices: PriceTable, model: string) {
  for (const [pattern, price] of Object.entries(prices)) {
    if (pattern.includes("*") && globToRegExp(pattern).test(model)) return price;
  }
  return undefined;
}
