import { isJsonObject, type JsonObject } from "../../core/dialect.ts";

/**
 * A chat answer's `moderation` as a Responses answer's. Chat gives each side (`input`, `output`) a
 * `moderation_results` list; Responses one `moderation_result`: the list's results as one, flagged
 * where any is, a category flagged where any flags it, its score the highest and its input types
 * all those any applied. An `error` side is the same in both and goes as it came.
 */
export function responsesModeration(chat: unknown): JsonObject | undefined {
  if (!isJsonObject(chat)) return undefined;
  return { input: oneResult(chat.input), output: oneResult(chat.output) };
}

function oneResult(side: unknown): unknown {
  if (!isJsonObject(side) || side.type !== "moderation_results" || !Array.isArray(side.results)) return side;
  const categories: Record<string, boolean> = {};
  const scores: Record<string, number> = {};
  const types: Record<string, unknown[]> = {};
  let flagged = false;
  for (const result of side.results.filter(isJsonObject)) {
    flagged ||= result.flagged === true;
    for (const [name, on] of entriesOf(result.categories))
      categories[name] = categories[name] === true || on === true;
    for (const [name, score] of entriesOf(result.category_scores))
      if (typeof score === "number") scores[name] = Math.max(scores[name] ?? score, score);
    for (const [name, applied] of entriesOf(result.category_applied_input_types)) {
      const all = types[name] ?? [];
      if (Array.isArray(applied)) for (const type of applied) if (!all.includes(type)) all.push(type);
      types[name] = all;
    }
  }
  return {
    type: "moderation_result",
    model: side.model,
    flagged,
    categories,
    category_scores: scores,
    category_applied_input_types: types,
  };
}

const entriesOf = (value: unknown): [string, unknown][] => (isJsonObject(value) ? Object.entries(value) : []);
