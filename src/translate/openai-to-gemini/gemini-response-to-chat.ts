import type { JsonObject } from "../../core/dialect.ts";
import { AnswerMessage, chatToolCall } from "../answer-message.ts";
import { parseBody } from "../parse-body.ts";
import type { UnknownFinish } from "../unknown-finish.ts";
import { geminiCallId } from "./gemini-call-id.ts";
import { failedFinish, finishReasonOfGemini } from "./gemini-finish-reason.ts";
import { chatLogprobsOf } from "./gemini-logprobs.ts";
import { type GeminiPart, type GeminiResponse, type GeminiUsage, geminiResponse } from "./gemini-schema.ts";
import { geminiUsageToOpenAI } from "./gemini-usage.ts";
import { groundingCitations } from "./grounding-citations.ts";

/** A Gemini answer as chat, and why Gemini blocked its prompt when it did. */
export interface GeminiAnswer {
  chat: JsonObject;
  /** `promptFeedback.blockReason` of a prompt blocked before any candidate (`SAFETY`, `PROHIBITED_CONTENT`, …). */
  blockReason: string | undefined;
}

/**
 * Gemini `generateContent` response → OpenAI chat.completion: each candidate a choice, text
 * parts joined, thought summaries (there when asked: `includeThoughts`) as `reasoning_content`, function calls as `tool_calls`, the tokens' log
 * probabilities (`logprobsResult`) as `logprobs` when asked for, Google Search grounding as
 * `url_citation` annotations (grounding-citations.ts). A prompt blocked
 * before any candidate answers as an empty `content_filter` choice; a candidate that ended in
 * failure (`failedFinish`) is thrown; a finishReason the gateway does not know is told to `unknown`.
 */
export function geminiResponseToChat(
  body: JsonObject,
  model: string,
  id: string,
  created = Math.floor(Date.now() / 1000),
  unknown?: UnknownFinish,
): JsonObject {
  return geminiAnswer(body, model, id, created, unknown).chat;
}

/** `geminiResponseToChat`, with the prompt's block reason beside the answer. */
export function geminiAnswer(
  body: JsonObject,
  model: string,
  id: string,
  created = Math.floor(Date.now() / 1000),
  unknown?: UnknownFinish,
): GeminiAnswer {
  const response = parseBody(geminiResponse, body, "upstream");
  const candidates = response.candidates ?? [];
  const blockReason = promptBlockReason(response);
  const choices =
    blockReason !== undefined
      ? [
          {
            index: 0,
            message: { role: "assistant", content: "", refusal: null },
            logprobs: null,
            finish_reason: "content_filter",
          },
        ]
      : candidates.map((candidate, index) => choiceOf(candidate, index, response.usageMetadata, unknown));
  const chat = {
    id,
    object: "chat.completion",
    created,
    model,
    choices,
    usage: geminiUsageToOpenAI(response.usageMetadata ?? {}),
  };
  return { chat, blockReason };
}

/** Why Gemini blocked the prompt, when it answered no candidate for that reason. */
export function promptBlockReason(response: GeminiResponse): string | undefined {
  return response.candidates?.length ? undefined : response.promptFeedback?.blockReason;
}

type Candidate = NonNullable<GeminiResponse["candidates"]>[number];

function choiceOf(
  candidate: Candidate,
  index: number,
  usage: GeminiUsage | undefined,
  unknown: UnknownFinish | undefined,
): JsonObject {
  const answer = new AnswerMessage();
  let thoughts = "";
  for (const part of candidate.content?.parts ?? []) {
    if (part.text !== undefined && part.thought) thoughts += part.text;
    else if (part.text !== undefined) answer.addText(part.text);
    const call = toolCallOf(part);
    if (call) answer.addCall(call);
  }
  // The turn's usage on the failure: Google billed it though it is no answer.
  const failed = failedFinish(candidate.finishReason, answer, usage, unknown);
  if (failed) throw failed;
  const message = answer.message(thoughts);
  const annotations = groundingCitations(candidate.groundingMetadata, answer.content);
  if (annotations.length > 0) message.annotations = annotations;
  return {
    index,
    message,
    logprobs: chatLogprobsOf(candidate.logprobsResult),
    finish_reason: finishReasonOfGemini(candidate.finishReason, answer.callsTools),
  };
}

/** A part's function call as a chat tool call, its signature in the id (gemini-call-id.ts). */
export function toolCallOf(part: GeminiPart): JsonObject | undefined {
  const call = part.functionCall;
  if (!call) return undefined;
  return chatToolCall(geminiCallId(call.id, part.thoughtSignature), call.name, call.args);
}
