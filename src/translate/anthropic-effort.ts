import { shown } from "../core/cut-words.ts";
import { isJsonObject } from "../core/dialect.ts";
import { rememberLast } from "../core/remember-last.ts";
import { claudeVersion } from "./claude-version.ts";

/** Anthropic's effort levels (`output_config.effort`), least first. */
export const EFFORT_SCALE: readonly string[] = ["low", "medium", "high", "xhigh", "max"];

/**
 * The levels each Claude takes, by Anthropic's effort page, on Anthropic's API and Converse alike:
 * Opus 4.5 low to high; Opus 4.6, Sonnet 4.6 and Mythos Preview `max` as well; Opus 4.7 and later
 * (Opus 4.8, the Claude 5 models) `xhigh` too; none before Opus 4.5 (Sonnet 4.5, Haiku 4.5, Opus
 * 4.1 and earlier answer 400 "This model does not support the effort parameter."). A name no rule
 * places (another vendor's Anthropic-compatible API, a Claude named after these) is given all of
 * them: the level asked goes, and a refusal in Anthropic's words has it sent again at the level the
 * model takes (routing/refused-effort.ts), or without it (refused-hint.ts).
 */
const EVERY_LEVEL = EFFORT_SCALE;
const WITHOUT_XHIGH: readonly string[] = ["low", "medium", "high", "max"];
const UP_TO_HIGH: readonly string[] = ["low", "medium", "high"];
const NO_LEVEL: readonly string[] = [];

const MYTHOS_PREVIEW = /claude-mythos-preview/i;
/** Claude 2 and Instant on Bedrock (`claude-v2:1`, `claude-instant-v1`), whose names give no version. */
const CLAUDE_2 = /claude-(?:v\d|instant)/i;

/**
 * The effort levels `model` takes, least first; none for a Claude before Opus 4.5. The last name
 * read is remembered: a Converse call asks it twice (the router's naming, the translation), and a
 * route's calls name one model, so its regexes run once a model, not once an ask.
 */
export const effortLevelsOf: (model: string) => readonly string[] = rememberLast(readLevels);

/** `effortLevelsOf` read from the name. */
function readLevels(model: string): readonly string[] {
  if (MYTHOS_PREVIEW.test(model)) return WITHOUT_XHIGH;
  if (CLAUDE_2.test(model)) return NO_LEVEL;
  const version = claudeVersion(model);
  if (version === undefined) return EVERY_LEVEL;
  const { family, major, minor } = version;
  if (major >= 5 || (major === 4 && minor >= 7)) return EVERY_LEVEL;
  if (major === 4 && minor === 6) return WITHOUT_XHIGH;
  return major === 4 && minor === 5 && family === "opus" ? UP_TO_HIGH : NO_LEVEL;
}

/**
 * The request's thinking type where it caps `model` at effort high, else undefined. Claude Opus 5
 * and the Claudes after it think by default and may have it turned off (`thinking: {type:
 * "disabled"}`) only at high or below, else a 400 ("output_config.effort 'xhigh' is not supported
 * when thinking is disabled on this model. Use effort 'high' or below, or enable thinking."):
 * Anthropic's Opus 5 migration guide, Breaking changes
 * (https://platform.claude.com/docs/en/models/opus-5/migration-guide), whose cap the
 * "Troubleshooting thinking" table says "applies to Claude Opus 5 and later models"
 * (https://platform.claude.com/docs/en/build-with-claude/thinking-troubleshooting; Haiku 5.5 by
 * name in "Prompting Claude Haiku 5.5"). "And later" is read by the version, so a Claude no page
 * names yet (a 6.x) is capped too: every Claude after 5.0, and Opus 5 itself; not the 5.0 models
 * before it (Sonnet 5, which the table has reject `"enabled"` alone, so it takes `disabled` at any
 * effort; Fable 5 and Mythos 5, which refuse `disabled` outright: claude-thinking-refusals.ts).
 * Sonnet 5.5 refuses `disabled` at any effort and turns up-front thinking off with
 * `{type: "between_tools"}`, which "is available at low, medium, and high effort", xhigh and max a
 * 400 ("What's new in Claude Sonnet 5.5", Turn off up-front thinking,
 * https://platform.claude.com/docs/en/models/sonnet-5-5/whats-new-sonnet-5-5). Opus 4.8 and earlier
 * have no such cap by the docs (it is the Opus 5 guide's breaking change); Opus 5.5 and Fable 5.1
 * refuse thinking disabled at any effort ("thinking.type.disabled" is not supported for this model).
 */
function thinkingCap(model: string, thinking: unknown): string | undefined {
  if (!isJsonObject(thinking)) return undefined;
  const { type } = thinking;
  if (type !== "disabled" && type !== "between_tools") return undefined;
  const version = claudeVersion(model);
  if (version === undefined) return undefined;
  const { family, major, minor } = version;
  const capped =
    type === "disabled"
      ? major > 5 || (major === 5 && (minor > 0 || family === "opus"))
      : family === "sonnet" && major === 5 && minor === 5;
  return capped ? type : undefined;
}

/** The levels `model` takes with the request's `thinking`: at most high where its type caps them. */
const levelsWith = (model: string, thinking: unknown): readonly string[] =>
  thinkingCap(model, thinking) ? UP_TO_HIGH : effortLevelsOf(model);

/** The highest of `levels` at or below `level` on Anthropic's scale; undefined when none is. */
export function levelAtMost(level: string, levels: readonly string[]): string | undefined {
  for (let rank = EFFORT_SCALE.indexOf(level); rank >= 0; rank--) {
    const lower = EFFORT_SCALE[rank];
    if (lower !== undefined && levels.includes(lower)) return lower;
  }
  return undefined;
}

/**
 * `asked` — chat's `reasoning_effort`, or a Messages caller's `output_config.effort` carried as it
 * (Converse) — as the level `model` takes, on Anthropic's API and on Converse alike: Anthropic's
 * own words as they are (chat's `xhigh` is Anthropic's `xhigh`, between high and max), "minimal"
 * rounded up to the lowest, and a level the model has not lowered to the most below it it has
 * (Opus 4.6's `xhigh` is `high`: its `max` would be more thinking and spend than asked; Opus 5's
 * `xhigh` with the request's `thinking` disabled, Sonnet 5.5's with it `between_tools`, is `high`,
 * sent so at once, not refused first).
 * Undefined for a word with no level (`none`: no reasoning), no word, or a model that takes none.
 */
export function claudeEffort(asked: unknown, model: string, thinking?: unknown): string | undefined {
  if (typeof asked !== "string") return undefined;
  const level = asked === "minimal" ? "low" : asked;
  return EFFORT_SCALE.includes(level) ? levelAtMost(level, levelsWith(model, thinking)) : undefined;
}

/**
 * Why `asked` is named toward `model` (`x-mindgw-dropped`, the audit row; under
 * `translation.unsupported: reject` the caller's 400), `sent` being what `claudeEffort` made of it
 * with the request's `thinking`:
 * a word with no level, or a level the model takes only lower, which did not go as asked. Undefined
 * where it goes as asked: `minimal` as `low`, the least of one scale as the least of the other.
 */
export function claudeEffortNamed(
  asked: unknown,
  sent: string | undefined,
  model: string,
  thinking?: unknown,
): string | undefined {
  if (typeof asked !== "string" || sent === asked || (asked === "minimal" && sent !== undefined))
    return undefined;
  if (sent !== undefined) {
    const cap = thinkingCap(model, thinking);
    return `is "${asked}", which ${shown(model)} takes at most as "${sent}"${cap ? ` with thinking ${cap}` : ""}`;
  }
  return EFFORT_SCALE.includes(asked) || asked === "minimal"
    ? effortNotTaken(model)
    : `"${shown(asked)}" has no level on Anthropic's effort scale`;
}

/** Why an effort is named toward `model`, which takes none (a Claude before Opus 4.5, Nova). */
export const effortNotTaken = (model: string): string => `is an effort ${shown(model)} does not take`;
