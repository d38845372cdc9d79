import { isJsonObject } from "../../core/dialect.ts";

/** Anthropic stop_reason → OpenAI finish_reason. */
export function openAIFinishReason(stopReason: string | null | undefined): string {
  switch (stopReason) {
    case "max_tokens":
    case "model_context_window_exceeded":
      return "length";
    case "tool_use":
      return "tool_calls";
    case "refusal":
      return "content_filter";
    default:
      // end_turn, stop_sequence, pause_turn and anything newer: the answer simply stopped.
      return "stop";
  }
}

/**
 * Why Claude refused (`stop_details.explanation` beside `stop_reason: "refusal"`), for chat's
 * `message.refusal` (`delta.refusal` streamed), the field OpenAI's models decline in: beside the
 * `content_filter` finish it tells the caller what the finish alone does not. Undefined without one
 * (its `category` alone is a policy's name, no sentence to show a user).
 */
export function refusalExplanation(stopReason: unknown, stopDetails: unknown): string | undefined {
  if (stopReason !== "refusal" || !isJsonObject(stopDetails)) return undefined;
  const { explanation } = stopDetails;
  return typeof explanation === "string" && explanation !== "" ? explanation : undefined;
}
