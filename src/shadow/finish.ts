import { openAIFinishReason } from "../translate/openai-to-anthropic/finish-reason.ts";

/**
 * Why an answer ended, in OpenAI's words whatever the caller's dialect — `stop`, `length`,
 * `tool_calls`, `content_filter`, or what a newer upstream says as it says it — so that a
 * candidate that keeps hitting its token limit is told apart from one that finished. Null where
 * the answer did not say.
 */
export type Finish = string | null;

/** A chat or completions choice's `finish_reason`; the legacy `function_call` is a tool call. */
export function chatFinish(reason: unknown): Finish {
  if (typeof reason !== "string") return null;
  return reason === "function_call" ? "tool_calls" : reason;
}

/** Anthropic's `stop_reason`, read as the translation to chat reads it (`max_tokens` → `length`). */
export function messagesFinish(reason: unknown): Finish {
  return typeof reason === "string" ? openAIFinishReason(reason) : null;
}

/**
 * A Responses answer's `status`: `completed` is a stop; `incomplete` says why
 * (`max_output_tokens` → `length`, `content_filter`), the inverse of the translation's
 * (translate/responses/response-envelope.ts `responseStatus`); any other status as it is.
 */
export function responsesFinish(status: unknown, incomplete: unknown): Finish {
  if (status === "completed") return "stop";
  if (status !== "incomplete") return typeof status === "string" ? status : null;
  const reason =
    typeof incomplete === "object" && incomplete !== null
      ? (incomplete as { reason?: unknown }).reason
      : undefined;
  if (reason === "max_output_tokens") return "length";
  return typeof reason === "string" ? reason : "incomplete";
}
