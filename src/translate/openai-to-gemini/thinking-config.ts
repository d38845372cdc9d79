import type { JsonObject } from "../../core/dialect.ts";
import { rememberLast } from "../../core/remember-last.ts";

/**
 * OpenAI's `reasoning_effort` (a Responses `reasoning.effort`, an Anthropic `thinking` budget, both
 * translated to it first) as Gemini's `generationConfig.thinkingConfig`, in the words the model's
 * generation takes: Gemini 3 and later a `thinkingLevel`, Gemini 2.5 a `thinkingBudget` in
 * tokens; with `includeThoughts` when the caller asks to see the thoughts. Gemini 2.5 refuses a level (400 "Thinking level is not supported for this model."); 3
 * takes a budget only for backward compatibility, which Google warns may perform worse. Undefined
 * for an effort of no known name (nothing is sent). `budget`, a number of tokens said beside the
 * effort (OpenRouter's `reasoning.max_tokens`: a Messages caller's `budget_tokens`), is a 2.5
 * model's budget in place of the effort's, held within the model's range; without an effort it
 * asks nothing, so a call sent again without the effort (routing/refused-hint.ts) has no config.
 */
export function thinkingConfig(
  model: unknown,
  effort: unknown,
  showThoughts = false,
  budget?: unknown,
): JsonObject | undefined {
  const name = typeof model === "string" ? model : "";
  const config = effortConfig(name, effort, budget);
  if (!showThoughts) return config;
  // Thoughts asked for (chat's `include_reasoning`: a Messages caller's `thinking`), beside the
  // effort's config, or alone to a model known to think unasked (an adaptive `thinking` writes no
  // effort); no config at all goes to any other, which may refuse one.
  if (config !== undefined)
    return config.thinkingBudget === 0 ? config : { ...config, includeThoughts: true };
  return thinksUnasked(name) ? { includeThoughts: true } : undefined;
}

/** The config an effort asks for, in the words the model's generation takes (`thinkingConfig`). */
function effortConfig(name: string, effort: unknown, tokens: unknown): JsonObject | undefined {
  // A model that does not think refuses any thinking config, one turning it off too.
  if (typeof effort !== "string" || thinksNot(name)) return undefined;
  if (thinksInLevels(name)) {
    const level = thinkingLevel(name, effort);
    return level === undefined ? undefined : { thinkingLevel: level };
  }
  const budget = typeof tokens === "number" ? withinRange(name, tokens) : thinkingBudget(name, effort);
  return budget === undefined ? undefined : { thinkingBudget: budget };
}

/**
 * The model's generation is read from its name, as Google spells its models (`gemini-3-pro-preview`,
 * `gemini-3.1-flash-lite`, `gemini-2.5-flash`): 3 or later thinks in levels. A name without its
 * generation (`gemini-flash-latest`) gets a budget, which every generation takes.
 */
const GENERATION = /^gemini-(\d+)/i;
const thinksInLevels = (model: string): boolean => Number(GENERATION.exec(model)?.[1] ?? 0) >= 3;

/**
 * Whether the model takes a budget in tokens (`reasoning.max_tokens`): every generation before 3
 * that thinks.
 */
export const takesThinkingBudget = (model: string): boolean => !thinksInLevels(model) && !thinksNot(model);

/**
 * Whether `effort` asks `model` to think, which it does not (`thinksNot`): the effort is not sent,
 * and named so; `none` and `minimal` ask for no thinking, which such a model does anyway.
 */
export const effortUnsent = (model: string, effort: unknown): boolean =>
  typeof effort === "string" && (BUDGETS[effort] ?? 0) > 0 && thinksNot(model);

/**
 * Gemini before 2.5 (`gemini-2.0-flash`, `gemini-1.5-pro`; Google's thinking guide names 2.5 and
 * later), 2.x's image models (`gemini-2.5-flash-image`) and the TTS models do not think: Vertex AI
 * refuses any thinking config ("Unable to submit request because thinking is not supported by this
 * model."), the Gemini API too ("Thinking is not enabled for models/…"). Known by the name alone;
 * a model this misses is sent again without the effort (routing/refused-hint.ts). The last name
 * read is remembered: one Gemini request asks it of one model two or three times (`effortUnsent`,
 * `effortConfig`, `takesThinkingBudget`), so its regexes run once per request, not per ask.
 */
const VERSION = /^gemini-(\d+)(?:\.(\d+))?-/i;
const thinksNot: (model: string) => boolean = rememberLast(readsThinksNot);

/** `thinksNot` read from the name. */
function readsThinksNot(model: string): boolean {
  const version = VERSION.exec(model);
  if (!version) return false;
  if (SPEAKS.test(model)) return true;
  const major = Number(version[1]);
  if (major > 2) return false;
  return major < 2 || Number(version[2] ?? 0) < 5 || IMAGE.test(model);
}

/**
 * Gemini 2.5 and later, by the name's version, thinks whether asked or not (dynamic thinking), but
 * for what the name says thinks only when asked, or not at all: 2.5 Flash-Lite, its thinking off
 * unless a budget turns it on (Vertex AI refuses thoughts asked alone: 400 "…Thinking_config.
 * include_thoughts is only enabled when thinking is enabled."); 2.5 Flash Image and the TTS models,
 * which do not think ("Thinking is not enabled for models/…"). Gemini 3's Flash-Lite thinks at its
 * least level unasked, its image models always. A model this misses is sent again without the
 * thoughts (routing/refused-hint.ts).
 */
function thinksUnasked(model: string): boolean {
  const version = VERSION.exec(model);
  if (!version || thinksNot(model)) return false;
  return Number(version[1]) > 2 || !FLASH_LITE.test(model);
}

const SPEAKS = /-tts\b/i;
/** Flash-Lite: 2.5's thinks only when asked, and takes a budget of 512 at least. */
const FLASH_LITE = /-flash-lite\b/i;
const IMAGE = /-image\b/i;

/** Pro models only work in thinking mode: they have no way to think less than their least. */
const THINKS_ALWAYS = /-pro\b/i;

type ThinkingLevel = "minimal" | "low" | "medium" | "high";

/**
 * OpenAI's efforts → Gemini's levels. `none` is `minimal`, Gemini 3's least (it cannot turn thinking
 * off); `xhigh` (and Anthropic's `max`, which a Messages caller's `output_config.effort` brings) is
 * `high`, its most.
 */
const LEVELS: Record<string, ThinkingLevel> = {
  none: "minimal",
  minimal: "minimal",
  low: "low",
  medium: "medium",
  high: "high",
  xhigh: "high",
  max: "high",
};

/**
 * The level for `effort`, within those the model has. Flash models have all four; Pro models no
 * `minimal` (400 "Thinking level MINIMAL is not supported for this model."), so `low`, their
 * least; 3 Pro no `medium` either (3.1 Pro added it): `high`, its default, as OpenAI's `medium`
 * is the default there. A model this rule misjudges is sent again without the effort when the
 * caller did not send it by that name (routing/refused-hint.ts).
 */
function thinkingLevel(model: string, effort: string): ThinkingLevel | undefined {
  const level = LEVELS[effort];
  if (level === "minimal" && THINKS_ALWAYS.test(model)) return "low";
  if (level === "medium" && /^gemini-3-pro\b/i.test(model)) return "high";
  return level;
}

/**
 * OpenAI's efforts → Gemini 2.5's thinking budgets (tokens); 0 turns thinking off, and the most is
 * 2.5 Flash's (2.5 Pro takes up to 32768).
 */
const BUDGETS: Record<string, number> = {
  none: 0,
  minimal: 0,
  low: 1024,
  medium: 8192,
  high: 24576,
  xhigh: 24576,
  max: 24576,
};

/**
 * A budget of 0 is a Pro model's 400 ("Budget 0 is invalid. This model only works in thinking
 * mode."): none/minimal ask it for its least instead, 2.5 Pro's lowest budget (it takes 128–32768).
 * A model this rule misses is sent again without the effort when the caller did not send it by
 * that name (routing/refused-hint.ts).
 */
const LEAST_PRO_BUDGET = 128;

function thinkingBudget(model: string, effort: string): number | undefined {
  const budget = BUDGETS[effort];
  if (budget === 0 && THINKS_ALWAYS.test(model)) return LEAST_PRO_BUDGET;
  return budget;
}

/**
 * The budgets each Gemini 2.5 model takes (Google's thinking table: 2.5 Pro 128–32768, it cannot
 * stop thinking; Flash 0–24576; Flash-Lite 512–24576, or 0 for none), by the name as Google spells
 * it; a name of neither (`gemini-flash-latest`) is held to Flash's.
 */
function budgetRange(model: string): readonly [number, number] {
  if (THINKS_ALWAYS.test(model)) return [LEAST_PRO_BUDGET, 32_768];
  if (FLASH_LITE.test(model)) return [512, 24_576];
  return [0, 24_576];
}

/** A budget in tokens as the model takes it: within its range, whole; 0 stays 0 where it turns thinking off. */
function withinRange(model: string, tokens: number): number {
  const [least, most] = budgetRange(model);
  const whole = Math.round(tokens);
  if (whole <= 0 && !THINKS_ALWAYS.test(model)) return 0;
  return Math.min(most, Math.max(least, whole));
}
