import { isJsonObject, type JsonObject } from "../../core/dialect.ts";
import type { GatewayError } from "../../core/gateway-error.ts";
import { answerFinish, type FinishReasons, finishFailure, type TurnOutput } from "../failed-finish.ts";
import type { UnknownFinish } from "../unknown-finish.ts";
import type { ConverseUsage } from "./converse-schema.ts";
import { converseBilledUsage } from "./converse-usage.ts";

/**
 * Converse's stopReasons (StopReason in the Bedrock Runtime API, every value it documents): a
 * guardrail's or the content filter's stop reads as `content_filter`, the context window's as
 * `length` (a normal end: the answer so far is whole); output the model could not form, a tool
 * call or an answer, ends the turn in failure (translate/failed-finish.ts). Anthropic's own
 * `pause_turn` and `refusal` are not Converse's (its enum has neither): one that came would be a
 * reason the gateway does not know.
 */
const CONVERSE_STOP: FinishReasons = {
  field: "Bedrock stopReason",
  answers: {
    end_turn: "stop",
    stop_sequence: "stop",
    max_tokens: "length",
    model_context_window_exceeded: "length",
    tool_use: "tool_calls",
    guardrail_intervened: "content_filter",
    content_filtered: "content_filter",
  },
  failures: {
    malformed_tool_use: "the model produced a malformed tool call",
    malformed_model_output: "the model produced malformed output",
  },
};

/** Converse stopReason → OpenAI finish_reason (`stop` when there is none, `tool_calls` after calls). */
export const finishReasonOfConverse = (stopReason: string | null | undefined, calledTools: boolean) =>
  answerFinish(CONVERSE_STOP, stopReason ?? undefined, calledTools);

/** The failure a stopReason says, if it says one, with what Bedrock billed for the turn. */
export const failedStop = (
  stopReason: string | null | undefined,
  turn: TurnOutput,
  usage: ConverseUsage,
  unknown?: UnknownFinish,
): GatewayError | undefined =>
  finishFailure(CONVERSE_STOP, stopReason ?? undefined, turn, () => converseBilledUsage(usage), unknown);

/**
 * What chat's finish_reason cannot say of a stopReason, beside it on the choice, for a translation
 * to Messages (anthropic-to-openai/stop-reason.ts) to give back: the context window's end, `length`
 * to chat as `max_tokens` is, and a stop sequence's, `stop` as `end_turn` is, are said as OpenRouter
 * says an upstream's own reason (`native_finish_reason`); the sequence that matched, which Claude
 * says beside the answer (`additionalModelResponseFields.stop_sequence`, ConverseOutput's and
 * messageStop's), as vLLM says it (`stop_reason`).
 */
export function finishFields(
  stopReason: string | null | undefined,
  additional: unknown,
): JsonObject | undefined {
  if (stopReason === "model_context_window_exceeded") return { native_finish_reason: stopReason };
  if (stopReason !== "stop_sequence") return undefined;
  const matched = isJsonObject(additional) ? additional.stop_sequence : undefined;
  return {
    native_finish_reason: stopReason,
    ...(typeof matched === "string" ? { stop_reason: matched } : {}),
  };
}
