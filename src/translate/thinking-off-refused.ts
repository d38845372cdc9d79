import { shown } from "../core/cut-words.ts";
import { isJsonObject } from "../core/dialect.ts";
import { badRequest } from "../core/gateway-error.ts";
import { alwaysThinkingClaude } from "./always-thinking-claude.ts";

/**
 * Refuses a request's `thinking: {type: "disabled"}` toward a Claude that cannot turn its thinking
 * off, before anything is sent; each answers it with a 400 at any effort. Claude Sonnet 5.5 takes
 * `adaptive` (its default) or `between_tools` (Anthropic's "What's new in Claude Sonnet 5.5", Turn
 * off up-front thinking: https://platform.claude.com/docs/en/models/sonnet-5-5/whats-new-sonnet-5-5);
 * Claude Opus 5.5, Fable 5.1 and Mythos 5.1 think adaptively always ("What's new in Claude Opus
 * 5.5", Thinking can't be disabled, which "also applies on Claude Fable 5.1":
 * https://platform.claude.com/docs/en/models/opus-5-5/whats-new-opus-5-5), as Fable 5 and Mythos 5
 * do (the list of them: always-thinking-claude.ts). Not mapped to
 * `between_tools`: that still thinks between tool calls, only at effort high or below, and on
 * Sonnet 5.5 alone. The refusal is the route's (`unsupported_modality`): the model's next route,
 * another model that can answer without thinking, is tried; when none can, it is the caller's 400
 * in its own dialect, naming `thinking.type`. Asked on every route to Claude: its Messages API
 * (claude-call.ts, chat-request-to-messages.ts) and Bedrock's Converse (chat-request-to-converse.ts).
 */
export function refuseThinkingOff(thinking: unknown, model: string): void {
  if (!isJsonObject(thinking) || thinking.type !== "disabled") return;
  const takes = alwaysThinkingClaude(model)?.takes;
  if (takes === undefined) return;
  throw badRequest(
    `thinking.type is "disabled", which ${shown(model)} does not take: ${takes}`,
    "thinking.type",
    "unsupported_modality",
  );
}
