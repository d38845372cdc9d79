import { z } from "zod";
import { num } from "./config-values.ts";

/** `prices:` in config: USD per million tokens, per model name (globs allowed, exact wins). */
export const priceTableSchema = z.record(
  z.string(),
  z.strictObject({
    input_per_mtok: num(z.number().nonnegative()),
    output_per_mtok: num(z.number().nonnegative()),
    /** Prompt tokens read from the provider's cache; default: the input price. */
    cached_input_per_mtok: num(z.number().nonnegative()).optional(),
    /** Prompt tokens written to the provider's cache; default: the input price. */
    cache_write_per_mtok: num(z.number().nonnegative()).optional(),
    /** Of those, tokens written for an hour (Anthropic's `ttl: "1h"`); default: the cache write price. */
    cache_write_1h_per_mtok: num(z.number().nonnegative()).optional(),
    /** Audio tokens in the prompt; default: the input price. */
    input_audio_per_mtok: num(z.number().nonnegative()).optional(),
    /** Audio tokens in the answer; default: the output price. */
    output_audio_per_mtok: num(z.number().nonnegative()).optional(),
    /** USD per thousand web searches the upstream ran (Anthropic's and OpenAI's search tools); default: 0. */
    web_searches_per_k: num(z.number().nonnegative()).optional(),
  }),
);
export type PriceTable = z.infer<typeof priceTableSchema>;
