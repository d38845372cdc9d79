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
