import { EFFORT_SCALE, levelAtMost } from "../translate/anthropic-effort.ts";
import type { CallerNames } from "./caller-param.ts";
import type { RefusedHint } from "./refused-hint.ts";

/**
 * Where a translation writes an effort level for Claude: Messages' `output_config.effort`, chat's
 * `reasoning_effort` (which Converse's Claude is sent as its `output_config.effort`).
 */
const EFFORT_PATHS = ["output_config.effort", "reasoning_effort"] as const;

/**
 * Claude's refusals of an effort level that name the level it takes instead. Opus 5 with thinking
 * disabled takes high and below: "output_config.effort 'xhigh' is not supported when thinking is
 * disabled on this model. Use effort 'high' or below, or enable thinking." Anthropic's Opus 5
 * migration guide lists that cap as a breaking change for code running on Opus 4.8
 * (https://platform.claude.com/docs/en/models/opus-5/migration-guide), yet users report the same
 * 400 from Opus 4.8 at xhigh with thinking left out (anthropics/claude-code#76689, #79798: once a
 * server tool ran), so the docs do not settle which models refuse so. The translations send high
 * at once where the docs place a cap (anthropic-effort.ts: Opus 5 and later Claudes with thinking
 * disabled, Sonnet 5.5 with it `between_tools`, whose refusal Anthropic documents without its
 * words, none read here); any other model refusing in these words, Opus 4.8 included, is sent the
 * call again at the level they name. A model without the level asked lists those it has: "This
 * model does not support effort level 'xhigh'. Supported levels: high, low, max, medium." Not
 * anchored: Claude on Bedrock says them after AWS's lead ("…The model returned the following
 * errors: …").
 */
const THINKING_OFF =
  /\beffort '\w+' is not supported when thinking is disabled\b.*?\bUse effort '(\w+)' or below\b/s;
const LEVEL_LACKED = /\bdoes not support effort level '(\w+)'\. Supported levels: ([\w, ]+)/;

/**
 * The effort level of `hints` that Claude's refusal `message` asks lower, with the level to send
 * instead (`RefusedHint.level`): the one its words name, or the most of those it lists at or below
 * the one refused; a level its words do not give (a word off Anthropic's scale) has the field left
 * out, the model's default then. Undefined for any other refusal, or a call whose translation set
 * no effort (a caller's own, refused, is its 400).
 */
export function loweredEffort(message: string, hints: CallerNames): RefusedHint | undefined {
  const path = EFFORT_PATHS.find((at) => hints[at] !== undefined);
  const callerName = path && hints[path];
  if (path === undefined || callerName === undefined) return undefined;
  const offThinking = THINKING_OFF.exec(message);
  const lacked = offThinking ? undefined : LEVEL_LACKED.exec(message);
  if (!offThinking && !lacked) return undefined;
  const level = offThinking
    ? offThinking[1]
    : levelAtMost(lacked?.[1] ?? "", (lacked?.[2] ?? "").split(/,\s*/));
  return level !== undefined && EFFORT_SCALE.includes(level)
    ? { path, callerName, level }
    : { path, callerName };
}
