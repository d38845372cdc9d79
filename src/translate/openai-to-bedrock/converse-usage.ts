import type { JsonObject } from "../../core/dialect.ts";
import type { GatewayError } from "../../core/gateway-error.ts";
import type { Usage } from "../../core/usage.ts";
import { answerFinish, type FinishReasons, finishFailure } from "../failed-finish.ts";
import { usageFromOpenAI } from "../usage-mapping.ts";
import type { ConverseUsage } from "./converse-schema.ts";

const num = (value: number | null | undefined) => value ?? 0;

/**
 * Converse usage → OpenAI chat usage. Bedrock counts cache reads and writes apart from
 * `inputTokens`; OpenAI's `prompt_tokens` includes them, and so does what the gateway bills.
 */
export function converseUsageToOpenAI(usage: ConverseUsage): JsonObject {
  const cached = num(usage.cacheReadInputTokens);
  const prompt = num(usage.inputTokens) + cached + num(usage.cacheWriteInputTokens);
  const completion = num(usage.outputTokens);
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: cached },
  };
}

/** What Bedrock billed, in the gateway's terms (as its chat usage reads). */
export const converseBilledUsage = (usage: ConverseUsage): Usage | undefined =>
  usageFromOpenAI({ usage: converseUsageToOpenAI(usage) });

/**
 * Converse's stopReasons (StopReason in the Bedrock Runtime API): a guardrail's or the content
 * filter's stop reads as `content_filter`; output the model could not form, a tool call or an
 * answer, ends the turn in failure (translate/failed-finish.ts).
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

/** Converse stopReason → OpenAI finish_reason (`stop` when there is none). */
export const finishReasonOfConverse = (stopReason: string | null | undefined): string =>
  answerFinish(CONVERSE_STOP, stopReason ?? undefined);

/** The failure a stopReason says, if it says one, with what Bedrock billed for the turn. */
export const failedStop = (
  stopReason: string | null | undefined,
  usage: ConverseUsage,
): GatewayError | undefined =>
  finishFailure(CONVERSE_STOP, stopReason ?? undefined, () => converseBilledUsage(usage));
