import { shown } from "../core/cut-words.ts";
import { isJsonObject, type JsonObject } from "../core/dialect.ts";
import type { Dropped } from "./dropped.ts";
import { isUnset } from "./uncarried-fields.ts";

/**
 * Names what of OpenRouter's `reasoning` object a target that takes a thinking budget in tokens
 * (`ChatTarget.takesThinkingBudget`: Gemini 2.5) leaves unread: the whole of it unless its
 * `max_tokens` is read, which is only as the budget of a model that takes one (not Gemini 3, which
 * takes a level) beside a `reasoning_effort`; and, read, each other key that says something
 * (`effort`, `exclude`, `enabled`), none of which is sent. Named, not silently ignored: the
 * caller's budget or its `exclude` would otherwise look honoured.
 */
export function nameUnreadReasoning(
  body: JsonObject,
  target: string,
  /** Read only once a `reasoning` is there: a Gemini request without one tests no model name. */
  takesBudget: (model: string) => boolean,
  model: string,
  dropped: Dropped,
): void {
  const { reasoning } = body;
  if (isUnset(reasoning)) return;
  if (
    !isJsonObject(reasoning) ||
    typeof reasoning.max_tokens !== "number" ||
    isUnset(body.reasoning_effort)
  ) {
    dropped.add("reasoning", "reasoning", `is read by ${target} only as max_tokens beside reasoning_effort`);
    return;
  }
  if (!takesBudget(model)) {
    dropped.add(
      "reasoning",
      "reasoning",
      `is a thinking budget in tokens, which ${shown(model)} does not take`,
    );
    return;
  }
  for (const key of Object.keys(reasoning))
    if (key !== "max_tokens" && !isUnset(reasoning[key]))
      dropped.add(`reasoning.${key}`, `reasoning.${key}`, `is not sent to ${target}: only max_tokens is`);
}
