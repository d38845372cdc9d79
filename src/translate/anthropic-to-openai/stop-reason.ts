import { throwIfBrokenOff } from "../broken-off-finish.ts";

/** How a chat answer ended, as the Anthropic stop reason is read from it. */
export interface ChatAnswerEnd {
  finishReason: string | null | undefined;
  /** vLLM's `stop_reason`: the stop string (or token id) that matched. */
  matchedStop: string | number | null | undefined;
  hasToolCalls: boolean;
  /** Its text came as the chat answer's `refusal`: the model declined. */
  refused: boolean;
  /**
   * The upstream's own reason beside `finish_reason`, as OpenRouter says it
   * (`native_finish_reason`; Bedrock Converse's, converse-stop-reason.ts `finishFields`).
   */
  nativeFinish?: unknown;
}

const CONTEXT_WINDOW = "model_context_window_exceeded";

/**
 * OpenAI finish_reason → Anthropic stop_reason. OpenAI never says which stop string matched;
 * vLLM does (`stop_reason`), and when it is a string we can report `stop_sequence` faithfully.
 * A refusal ends `stop`, but it is the model declining: Anthropic's `refusal`, as a client that
 * checks it (rather than parse the text) expects. Content filtering has no Anthropic twin but
 * `refusal`, the nearest in meaning. An answer the server broke off (vLLM's `abort`) throws
 * (broken-off-finish.ts).
 */
export function anthropicStopReason(end: ChatAnswerEnd): {
  stop_reason: string;
  stop_sequence: string | null;
} {
  const { finishReason, matchedStop, hasToolCalls } = end;
  throwIfBrokenOff(finishReason);
  if (
    hasToolCalls &&
    (finishReason === "tool_calls" || finishReason === "function_call" || finishReason === "stop")
  ) {
    return { stop_reason: "tool_use", stop_sequence: null };
  }
  switch (finishReason) {
    case "length":
      // Anthropic's own reason for an answer the context window ended, where it was said.
      return end.nativeFinish === CONTEXT_WINDOW
        ? { stop_reason: CONTEXT_WINDOW, stop_sequence: null }
        : { stop_reason: "max_tokens", stop_sequence: null };
    case "tool_calls":
    case "function_call":
      return { stop_reason: "tool_use", stop_sequence: null };
    case "content_filter":
      return { stop_reason: "refusal", stop_sequence: null };
    default:
      if (end.refused) return { stop_reason: "refusal", stop_sequence: null };
      if (typeof matchedStop === "string")
        return { stop_reason: "stop_sequence", stop_sequence: matchedStop };
      // A stop sequence the upstream said matched without saying which (Bedrock Converse's from a
      // model that does not say it).
      if (end.nativeFinish === "stop_sequence") return { stop_reason: "stop_sequence", stop_sequence: null };
      return { stop_reason: "end_turn", stop_sequence: null };
  }
}
