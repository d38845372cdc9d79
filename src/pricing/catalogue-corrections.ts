import type { PriceOptions, Provider } from "@pydantic/genai-prices";

/**
 * Where the pinned catalogue (`@pydantic/genai-prices` 0.1.8, its newest release; its main branch
 * alike) prices a model wrong: the vendor's own price, as a catalogue provider holding that model
 * alone, asked instead of the catalogue's provider for the names it matches.
 *
 * Amazon Titan Text Embeddings V2 (`amazon.titan-embed-text-v2:0`) has no entry of its own there:
 * the Titan Embeddings G1 entry's match (`contains: "amazon.titan-embed-text"`) takes it, at G1's
 * $0.10 per million tokens, where V2 is $0.02 (Bedrock's on-demand price, as OpenRouter's and
 * Vercel AI Gateway's listings of the model say it): every V2 embedding was billed five times over.
 * Its window is G1's, 8,192 tokens.
 */
const BEDROCK_CORRECTED: Provider = {
  id: "aws",
  name: "AWS Bedrock",
  api_pattern: "https://bedrock-runtime\\.[a-z0-9-]+\\.amazonaws\\.com/",
  models: [
    {
      id: "amazon.titan-embed-text-v2:0",
      name: "Titan Text Embeddings V2",
      match: { contains: "amazon.titan-embed-text-v2" },
      context_window: 8192,
      prices: { input_mtok: 0.02 },
    },
  ],
};

/** The model ids the corrections hold, as the catalogue matches them (lower case). */
const BEDROCK_CORRECTED_MODEL = "amazon.titan-embed-text-v2";

/**
 * The options to ask the catalogue with for `model`: a corrected provider for a model it prices
 * wrong, else `options` as given (no object made: answers priced past their tiers ask through here).
 */
export function correctedOptions(model: string, options: PriceOptions | undefined): PriceOptions | undefined {
  if (options?.providerId !== "aws" || options.provider !== undefined) return options;
  return model.toLowerCase().includes(BEDROCK_CORRECTED_MODEL)
    ? { ...options, provider: BEDROCK_CORRECTED }
    : options;
}
