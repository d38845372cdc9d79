import { shown } from "../core/cut-words.ts";
import { isJsonObject } from "../core/dialect.ts";
import { badRequest } from "../core/gateway-error.ts";
import { adaptiveOnlyClaude } from "./adaptive-only-claude.ts";

/**
 * Anthropic's words for each refused type, which the refusal starts with: its "Extended thinking"
 * page tells clients that a 400 whose message starts with the `enabled` one means "use adaptive", and
 * clients match on it (Operit's isThinkingTypeError); the `disabled` one as "What's new in Claude
 * Opus 5.5" gives it.
 */
const SAID_BY_CLAUDE = {
  enabled:
    '"thinking.type.enabled" is not supported for this model. Use "thinking.type.adaptive" and "output_config.effort" to control thinking behavior.',
  disabled:
    '"thinking.type.disabled" is not supported for this model. Use "thinking.type.adaptive" and "output_config.effort" to control thinking behavior.',
} as const;

/**
 * Refuses a request's `thinking` of a type its Claude answers with a 400, before anything is sent
 * (the list of them, and its sources: adaptive-only-claude.ts). `{type: "enabled", budget_tokens}`,
 * manual extended thinking, toward Claude 4.7 and later ('"thinking.type.enabled" is not supported
 * for this model. Use "thinking.type.adaptive" and "output_config.effort" to control thinking
 * behavior.'), save Claude Mythos Preview, whose budget the vendors' pages disagree on; `{type:
 * "disabled"}` toward a Claude that cannot turn its thinking off: Sonnet 5.5 takes `adaptive` (its
 * default) or `between_tools`, Opus 5.5, Fable 5 and 5.1, Mythos 5 and 5.1 and Mythos Preview think
 * adaptively always. Neither is mapped to what the model takes: `adaptive` at some effort is
 * not the budget asked, and `between_tools` still thinks, only at effort high or below, and on
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
  if (type !== "disabled" && type !== "enabled") return;
  const refuses = adaptiveOnlyClaude(model);
  if (refuses === undefined) return;
  const takes =
    type === "disabled"
      ? refuses.alwaysThinks
      : refuses.takesBudget
        ? undefined
        : 'it takes no manual thinking budget: ask for {"type": "adaptive"} and set output_config.effort for how much it thinks';
  if (takes === undefined) return;
  throw badRequest(
    `${SAID_BY_CLAUDE[type]} thinking.type is "${type}", which ${shown(model)} does not take: ${takes}`,
    "thinking.type",
    "unsupported_modality",
  );
}
