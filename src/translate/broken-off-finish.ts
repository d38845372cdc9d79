import { GatewayError } from "../core/gateway-error.ts";

/**
 * Chat servers' finish reasons for an answer the server broke off rather than finished: vLLM's
 * `abort` (its engine aborted the request: a shutdown, a pause, a scale-down) and `error`, each
 * sent as the stream's last chunk before an ordinary `[DONE]`. OpenAI has neither.
 */
const BROKEN_OFF: ReadonlySet<string> = new Set(["abort", "error"]);

/**
 * Throws when a chat answer's finish reason says the server broke it off: a translated caller
 * (an Anthropic `stop_reason`, a Responses `status`) has no word for it, and reading it as a
 * finished turn (`end_turn`, `completed`) hands a coding agent half an answer as whole. A retryable
 * 502, as a stream cut short is: tried again before the first byte, an error event after.
 */
export function throwIfBrokenOff(finishReason: string | null | undefined): void {
  if (finishReason && BROKEN_OFF.has(finishReason))
    throw new GatewayError({
      status: 502,
      code: "upstream_error",
      message: `upstream broke off its answer (finish_reason ${finishReason})`,
      retryable: true,
    });
}
