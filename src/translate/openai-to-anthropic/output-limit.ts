import { claudeVersion } from "../claude-version.ts";

/**
 * The `max_tokens` an Anthropic request gets when its OpenAI caller set no bound (Anthropic
 * requires one; an OpenAI model's answer is bounded only by the model): the most the model may
 * write, as Anthropic's models overview gives it. The catalogue (src/pricing) knows context
 * windows but not output limits, so they are read here off the model's name, by family and
 * version, Bedrock's and Vertex's names included (`anthropic.claude-opus-4-1-…-v1:0`,
 * `claude-sonnet-4-5@20250929`).
 */
export function anthropicOutputLimit(model: string): number {
  const version = claudeVersion(model);
  if (!version) return UNKNOWN_MODEL_LIMIT;
  const { family, major, minor } = version;
  if (major >= 5 || (major === 4 && minor >= 6)) return 128_000;
  if (major === 4 && family === "opus" && minor < 5) return 32_000;
  if (major === 4 || (major === 3 && minor >= 7)) return 64_000;
  if (major === 3 && minor === 5) return 8_192;
  return 4_096;
}

/**
 * A model the names above do not place (another vendor's Anthropic-compatible API, a proxy's own
 * name) keeps the gateway's earlier default: such servers may allow less than a Claude does, and
 * refuse a larger bound outright.
 */
export const UNKNOWN_MODEL_LIMIT = 4_096;
