import { shown } from "../core/cut-words.ts";
import { isJsonObject } from "../core/dialect.ts";
import { badRequest } from "../core/gateway-error.ts";
import { claudeThinkingRefusals } from "./claude-thinking-refusals.ts";
import { extendedOnlyClaude } from "./extended-only-claude.ts";

/**
 * Anthropic's words for each refused type, which the refusal starts with: its "Extended thinking"
 * page tells clients that a 400 whose message starts with the `enabled` one means "use adaptive", and
 * clients match on it (Operit's isThinkingTypeError); the `disabled` one as "What's new in Claude
 * Opus 5.5" gives it; the `adaptive` one as "Troubleshooting thinking" gives it, ended by a stop.
 */
const SAID_BY_CLAUDE = {
  enabled:
    '"thinking.type.enabled" is not supported for this model. Use "thinking.type.adaptive" and "output_config.effort" to control thinking behavior.',
  disabled:
    '"thinking.type.disabled" is not supported for this model. Use "thinking.type.adaptive" and "output_config.effort" to control thinking behavior.',
  adaptive: "adaptive thinking is not supported on this model.",
} as const;

/** What a Claude that refuses a budget takes instead, and what one that refuses adaptive takes. */
const NO_BUDGET =
  'it takes no manual thinking budget: ask for {"type": "adaptive"} and set output_config.effort for how much it thinks';
const BUDGET_ONLY = 'it thinks only with a manual budget: ask for {"type": "enabled", "budget_tokens": N}';

/**
 * Refuses a request's `thinking` of a type its Claude answers with a 400, before anything is sent
 * (the list of them, and its sources: claude-thinking-refusals.ts). `{type: "enabled", budget_tokens}`,
 * manual extended thinking, toward Claude 4.7 and later ('"thinking.type.enabled" is not supported
 * for this model. Use "thinking.type.adaptive" and "output_config.effort" to control thinking
 * behavior.'), save Claude Mythos Preview, whose budget the vendors' pages disagree on; `{type:
 * "disabled"}` toward a Claude that cannot turn its thinking off: Sonnet 5.5 takes `adaptive` (its
 * default) or `between_tools`, Opus 5.5, Fable 5 and 5.1, Mythos 5 and 5.1 and Mythos Preview think
 * adaptively always; `{type: "adaptive"}` toward Claude 4.5 and earlier, which think with a manual
 * budget alone ("adaptive thinking is not supported on this model": extended-only-claude.ts). None
 * is mapped to what the model takes: `adaptive` at some effort is not the budget asked, nor a budget
 * the model's own choice, and `between_tools` still thinks, only at effort high or below, and on
 * Sonnet 5.5 alone. The refusal is the route's (`unsupported_modality`): the model's next route,
 * another model that takes it, is tried; when none can, it is the caller's 400 in its own dialect,
 * naming `thinking.type`, its message starting with Claude's own sentence for that 400 (`SAID_BY_CLAUDE`)
 * and then saying what the model takes. Asked on every route to Claude: its
 * Messages API (claude-call.ts, chat-request-to-messages.ts) and Bedrock's Converse
 * (chat-request-to-converse.ts); not of a count_tokens call, which no doc says is refused for it.
 */
export function refuseThinkingType(thinking: unknown, model: string): void {
  if (!isJsonObject(thinking)) return;
  const { type } = thinking;
  if (type !== "adaptive" && type !== "enabled" && type !== "disabled") return;
  const takes =
    type === "adaptive" ? (extendedOnlyClaude(model) ? BUDGET_ONLY : undefined) : takenInstead(type, model);
  if (takes === undefined) return;
  throw badRequest(
    `${SAID_BY_CLAUDE[type]} thinking.type is "${type}", which ${shown(model)} does not take: ${takes}`,
    "thinking.type",
    "unsupported_modality",
  );
}

/** What `model` takes in place of `type`, said for the caller; undefined when it takes `type`. */
function takenInstead(type: "enabled" | "disabled", model: string): string | undefined {
  const refuses = claudeThinkingRefusals(model);
  if (refuses === undefined) return undefined;
  if (type === "disabled") return refuses.alwaysThinks;
  return refuses.takesBudget ? undefined : NO_BUDGET;
}
