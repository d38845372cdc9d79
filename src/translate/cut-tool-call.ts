import { isJsonObject, type JsonObject } from "../core/dialect.ts";

/**
 * The bound a chat request sent upstream set on its answer, where the answer's usage can be held
 * to it: `max_completion_tokens`, or `max_tokens` (a preset's, a worker's), for one answer (with
 * `n` > 1 the usage counts every choice's tokens together). Undefined when it set none.
 */
export function sentBound(sent: JsonObject | undefined): number | undefined {
  if (sent === undefined || (typeof sent.n === "number" && sent.n > 1)) return undefined;
  const bound = sent.max_completion_tokens ?? sent.max_tokens;
  return typeof bound === "number" && bound > 0 ? bound : undefined;
}

/**
 * Whether an answer that says it ended in tool calls was cut by its bound instead: its last call's
 * arguments are no whole JSON, and it wrote as many tokens as the request let it. vLLM says
 * `tool_calls` for any turn in which a call was parsed, whatever stopped it (vllm-project/vllm
 * #53269, #58228: a stream cut by `max_tokens` mid-arguments ends `tool_calls`, where OpenAI says
 * `length`), so a caller runs, or fails to parse, half a call: Claude Code would be handed the
 * call's input as `{}` and run it. Read so, the answer ends `length` (a Messages caller's
 * `max_tokens`, a Responses caller's `incomplete`, its call cut), as every translation reads a cut.
 * Arguments that parse, or a bound not reached, leave it a finished call.
 */
export function cutByBound(
  finishReason: string | null | undefined,
  lastArguments: string | undefined,
  completionTokens: number | null | undefined,
  bound: number | undefined,
): boolean {
  if (finishReason !== "tool_calls" || bound === undefined || completionTokens == null) return false;
  if (completionTokens < bound || lastArguments === undefined || lastArguments === "") return false;
  try {
    JSON.parse(lastArguments);
    return false;
  } catch {
    return true;
  }
}

/**
 * A whole chat answer as `cutByBound` reads it: its first choice's `finish_reason` made `length`
 * when its last call was cut by `bound` (a copy then; the answer as it came otherwise).
 */
export function wholeCutTold(answer: JsonObject, bound: number | undefined): JsonObject {
  if (bound === undefined || !Array.isArray(answer.choices) || answer.choices.length !== 1) return answer;
  const choice = answer.choices[0];
  if (!isJsonObject(choice) || !isJsonObject(choice.message)) return answer;
  const calls = choice.message.tool_calls;
  const last = Array.isArray(calls) ? calls.at(-1) : undefined;
  const fn = isJsonObject(last) && isJsonObject(last.function) ? last.function : undefined;
  const args = typeof fn?.arguments === "string" ? fn.arguments : undefined;
  const usage = isJsonObject(answer.usage) ? answer.usage : undefined;
  const written = typeof usage?.completion_tokens === "number" ? usage.completion_tokens : undefined;
  if (
    !cutByBound(
      typeof choice.finish_reason === "string" ? choice.finish_reason : undefined,
      args,
      written,
      bound,
    )
  )
    return answer;
  return { ...answer, choices: [{ ...choice, finish_reason: "length" }] };
}
