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

interface ClaudeVersion {
  readonly family: string;
  readonly major: number;
  readonly minor: number;
}

/** `claude-<family>-<major>[-<minor>]` (Claude 4 on), or `claude-<major>[-<minor>]-<family>` (Claude 3). */
const NEWER = /claude-([a-z]+)-(\d{1,2})(?:-(\d{1,2}))?(?!\d)/;
const OLDER = /claude-(\d)(?:-(\d))?-([a-z]+)/;

function claudeVersion(model: string): ClaudeVersion | undefined {
  const newer = NEWER.exec(model);
  if (newer) return { family: newer[1] ?? "", major: Number(newer[2]), minor: Number(newer[3] ?? 0) };
  const older = OLDER.exec(model);
  if (older) return { family: older[3] ?? "", major: Number(older[1]), minor: Number(older[2] ?? 0) };
  return undefined;
}
