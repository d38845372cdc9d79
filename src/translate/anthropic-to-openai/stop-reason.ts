/**
 * OpenAI finish_reason → Anthropic stop_reason. OpenAI never says which stop string matched;
 * vLLM does (`stop_reason`), and when it is a string we can report `stop_sequence` faithfully.
 * Content filtering has no Anthropic twin but `refusal`, the nearest in meaning.
 */
export function anthropicStopReason(
  finishReason: string | null | undefined,
  matchedStop: string | number | null | undefined,
  hasToolCalls: boolean,
): { stop_reason: string; stop_sequence: string | null } {
  if (
    hasToolCalls &&
    (finishReason === "tool_calls" || finishReason === "function_call" || finishReason === "stop")
  ) {
    return { stop_reason: "tool_use", stop_sequence: null };
  }
  switch (finishReason) {
    case "length":
      return { stop_reason: "max_tokens", stop_sequence: null };
    case "tool_calls":
    case "function_call":
      return { stop_reason: "tool_use", stop_sequence: null };
    case "content_filter":
      return { stop_reason: "refusal", stop_sequence: null };
    default:
      if (typeof matchedStop === "string")
        return { stop_reason: "stop_sequence", stop_sequence: matchedStop };
      return { stop_reason: "end_turn", stop_sequence: null };
  }
}
