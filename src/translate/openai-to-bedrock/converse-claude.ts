/** A Bedrock model id, or inference profile, of Claude's (`anthropic.claude-…`, `us.anthropic.claude-…`). */
export const CLAUDE = /claude/i;

/** What Bedrock serves a Claude of the features that came with later models. */
export interface ClaudeFeatures {
  /** Extended thinking (Bedrock's list: 3.7 Sonnet, and 4 on). */
  readonly thinks: boolean;
  /** Prompt caching's cache points (Bedrock's list: 3.5 Haiku, 3.7 Sonnet, and 4 on). */
  readonly caches: boolean;
}

/**
 * Claude before 3.7 Sonnet, by family; any Claude none of them names is a later one, which takes
 * both. The effort levels each Claude takes are Anthropic's API's (anthropic-effort.ts
 * `effortLevelsOf`, one table for both routes). Claude 2 (`claude-v2`, `claude-v2:1`) and Instant
 * (`claude-instant-v1`) take neither, nor tool use (Converse's supported-features table: "Anthropic
 * Claude 2.x and earlier models", tool use No): `tools` go as sent, for Bedrock's own 400 ("This
 * model doesn't support tool use"), as leaving them out would answer another call.
 */
const OLDER_CLAUDE: ReadonlyArray<{ readonly model: RegExp; readonly features: ClaudeFeatures }> = [
  {
    model: /claude-(v2|instant)|claude-3-(haiku|sonnet|opus)|claude-3-5-sonnet/i,
    features: { thinks: false, caches: false },
  },
  { model: /claude-3-5-haiku/i, features: { thinks: false, caches: true } },
];

const LATER: ClaudeFeatures = { thinks: true, caches: true };

/** What Bedrock serves `model` of thinking and caching: undefined for a model that is no Claude. */
export function claudeFeatures(model: string): ClaudeFeatures | undefined {
  if (!CLAUDE.test(model)) return undefined;
  return OLDER_CLAUDE.find((older) => older.model.test(model))?.features ?? LATER;
}
