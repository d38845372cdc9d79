/**
 * OpenAI's reasoning efforts on Anthropic's scale (`output_config.effort`: low, medium, high, max),
 * for Claude on Anthropic's API and on Converse alike. "minimal" rounds up to the lowest; "none" (no
 * reasoning) has no level there: undefined, and the caller's field is named.
 */
const EFFORT: Readonly<Record<string, string>> = {
  minimal: "low",
  low: "low",
  medium: "medium",
  high: "high",
  xhigh: "max",
  max: "max",
};

/** `asked` as Anthropic's effort level; undefined for a word with none (`none`) or no word. */
export const anthropicEffort = (asked: unknown): string | undefined =>
  typeof asked === "string" && Object.hasOwn(EFFORT, asked) ? EFFORT[asked] : undefined;

/** Anthropic's own levels (`xhigh`, between high and max, from Opus 4.7). */
const ANTHROPIC_LEVELS: ReadonlySet<string> = new Set(["low", "medium", "high", "xhigh", "max"]);

/**
 * `asked` for Claude behind a chat translation (Converse), where chat's `reasoning_effort` may be a
 * Messages caller's own `output_config.effort`: Anthropic's own level goes as written (a Messages
 * caller's `xhigh` stays `xhigh`, not chat's `xhigh` rounded to `max`), another word as
 * `anthropicEffort` reads it.
 */
export const claudeOwnEffort = (asked: unknown): string | undefined =>
  typeof asked === "string" && ANTHROPIC_LEVELS.has(asked) ? asked : anthropicEffort(asked);
