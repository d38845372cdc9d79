import { shown } from "../core/cut-words.ts";
import { isJsonObject } from "../core/dialect.ts";
import { badRequest } from "../core/gateway-error.ts";
import { claudeThinkingRefusals } from "./claude-thinking-refusals.ts";

/**
 * Refuses a forced tool call toward a Claude that always thinks and so refuses one
 * (claude-thinking-refusals.ts: Sonnet 5.5, Opus 5.5, Fable 5.1, Mythos 5.1), before anything is
 * sent: each answers `tool_choice` `{"type": "any"}` or `{"type": "tool"}` with a 400 ("What's new
 * in Claude Sonnet 5.5" and "… Opus 5.5": Forced tool use returns an error; "Thinking in tool and
 * multi-turn workflows": adaptive thinking takes forced tool use, save these four). `auto` and `none` go as written (the Fable 5.1
 * migration guide: supported). Not lowered to `auto`: the caller asked for a call, and an answer
 * without one would be taken for it. As thinking off is refused (thinking-type-refused.ts), the
 * refusal is the route's (`unsupported_modality`), so the model's next route is tried; with none
 * left, the caller's 400 in its own dialect, naming `tool_choice`. `choice` in either dialect:
 * chat's (`"required"`, a named function: chat-request-to-messages.ts, chat-request-to-converse.ts)
 * or Anthropic's (a Messages caller's, as written: claude-call.ts).
 */
export function refuseForcedToolChoice(choice: unknown, model: string): void {
  if (!forcesToolCall(choice) || claudeThinkingRefusals(model)?.refusesForcedCall !== true) return;
  throw badRequest(
    `tool_choice forces a tool call, which ${shown(model)} refuses: it thinks before it answers, and a forced call would skip that. Ask for tool_choice auto and say in the prompt which tool to call`,
    "tool_choice",
    "unsupported_modality",
  );
}

/** Whether `choice` makes the model call a tool: chat's `required` or a named function, Anthropic's `any` or `tool`. */
const forcesToolCall = (choice: unknown): boolean =>
  choice === "required" ||
  (isJsonObject(choice) && (choice.type === "any" || choice.type === "tool" || choice.type === "function"));
