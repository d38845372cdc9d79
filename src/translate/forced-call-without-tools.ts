import type { JsonObject } from "../core/dialect.ts";
import { badRequest } from "../core/gateway-error.ts";

/** What a `tool_choice` may say with no tools and still ask for nothing (settings-asking-nothing.ts). */
export const CHOICES_OF_NONE: readonly unknown[] = ["none", "auto"];

/**
 * Refuses a chat request's `tool_choice` that asks for a call (`required`, a function) with no
 * tools, as OpenAI's API does (400, its words): a translation would send Claude a `tool_choice`
 * with nothing to call, or leave it out for Gemini and answer without the call asked for.
 */
export function refuseForcedCallWithoutTools(body: JsonObject): void {
  if (Array.isArray(body.tools) && body.tools.length > 0) return;
  const choice = body.tool_choice;
  if (choice == null || CHOICES_OF_NONE.includes(choice)) return;
  throw badRequest(
    "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.",
    "tool_choice",
  );
}
