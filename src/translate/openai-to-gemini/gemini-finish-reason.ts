import type { GatewayError } from "../../core/gateway-error.ts";
import { answerFinish, type FinishReasons, finishFailure, type TurnOutput } from "../failed-finish.ts";
import type { UnknownFinish } from "../unknown-finish.ts";
import type { GeminiUsage } from "./gemini-schema.ts";
import { billedUsage } from "./gemini-usage.ts";

/**
 * Gemini's finishReasons (FinishReason in google-genai's types, the Gemini API's and Vertex AI's):
 * the filters' (a prompt's, an image's, Model Armor's; LANGUAGE, a language the model does not
 * take) read as `content_filter`; the rest end the turn in failure: a function call Gemini could
 * not write or should not have made, a response it could not form, a thought signature the history
 * lacks, an image it did not make or stopped making for a reason it calls miscellaneous
 * (IMAGE_OTHER: a failure, not a filter), a stop it gives no reason for (OTHER).
 * FINISH_REASON_UNSPECIFIED, which Google says is unused, is one the gateway does not know.
 * A missing thought signature is the request's history, not chance: asking the same route again
 * meets it again.
 */
const GEMINI_FINISH: FinishReasons = {
  field: "Gemini finishReason",
  answers: {
    STOP: "stop",
    MAX_TOKENS: "length",
    SAFETY: "content_filter",
    RECITATION: "content_filter",
    LANGUAGE: "content_filter",
    BLOCKLIST: "content_filter",
    PROHIBITED_CONTENT: "content_filter",
    SPII: "content_filter",
    IMAGE_SAFETY: "content_filter",
    IMAGE_PROHIBITED_CONTENT: "content_filter",
    IMAGE_RECITATION: "content_filter",
    MODEL_ARMOR: "content_filter",
  },
  failures: {
    MALFORMED_FUNCTION_CALL: "the model produced a malformed function call",
    UNEXPECTED_TOOL_CALL: "the model called a tool that was not offered",
    TOO_MANY_TOOL_CALLS: "the model made too many tool calls",
    MALFORMED_RESPONSE: "the model produced a malformed response",
    MISSING_THOUGHT_SIGNATURE: "the request lacks a thought signature the model needs",
    NO_IMAGE: "the model was to make an image and made none",
    IMAGE_OTHER: "the model stopped making an image for an unspecified reason",
    OTHER: "the model stopped for an unspecified reason",
  },
  sameEveryTime: new Set(["MISSING_THOUGHT_SIGNATURE"]),
};

/** Gemini finishReason → OpenAI finish_reason; a turn that called tools ends in `tool_calls`. */
export const finishReasonOfGemini = (reason: string | undefined, calledTools: boolean) =>
  answerFinish(GEMINI_FINISH, reason, calledTools);

/**
 * The failure a candidate's finishReason says, if it says one (translate/failed-finish.ts), with
 * the turn's usage.
 */
export const failedFinish = (
  reason: string | undefined,
  turn: TurnOutput,
  usage: GeminiUsage | undefined,
  unknown?: UnknownFinish,
): GatewayError | undefined => finishFailure(GEMINI_FINISH, reason, turn, () => billedUsage(usage), unknown);
