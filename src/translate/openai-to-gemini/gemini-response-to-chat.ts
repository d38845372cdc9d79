import type { JsonObject } from "../../core/dialect.ts";
import { argumentsText, assistantMessage } from "../chat-chunk-builder.ts";
import { parseBody } from "../parse-body.ts";
import { geminiCallId } from "./gemini-call-id.ts";
import { type GeminiPart, type GeminiResponse, geminiResponse } from "./gemini-schema.ts";
import { failedFinish, finishReasonOfGemini, geminiUsageToOpenAI } from "./gemini-usage.ts";

/**
 * Gemini `generateContent` response → OpenAI chat.completion: each candidate a choice, text
 * parts joined (thought summaries left out), function calls as `tool_calls`. A prompt blocked
 * before any candidate answers as an empty `content_filter` choice; a candidate that ended in
 * failure (`failedFinish`) is thrown.
 */
export function geminiResponseToChat(
  body: JsonObject,
  model: string,
  id: string,
  created = Math.floor(Date.now() / 1000),
): JsonObject {
  const response = parseBody(geminiResponse, body, "upstream");
  const candidates = response.candidates ?? [];
  const choices =
    candidates.length === 0 && response.promptFeedback?.blockReason
      ? [
          {
            index: 0,
            message: { role: "assistant", content: "", refusal: null },
            logprobs: null,
            finish_reason: "content_filter",
          },
        ]
      : candidates.map((candidate, index) => choiceOf(candidate, index));
  return {
    id,
    object: "chat.completion",
    created,
    model,
    choices,
    usage: geminiUsageToOpenAI(response.usageMetadata ?? {}),
  };
}

type Candidate = NonNullable<GeminiResponse["candidates"]>[number];

function choiceOf(candidate: Candidate, index: number): JsonObject {
  const failed = failedFinish(candidate.finishReason);
  if (failed) throw failed;
  let text = "";
  const toolCalls: JsonObject[] = [];
  for (const part of candidate.content?.parts ?? []) {
    if (part.text !== undefined && !part.thought) text += part.text;
    const call = toolCallOf(part);
    if (call) toolCalls.push(call);
  }
  const message = assistantMessage(text, toolCalls);
  return {
    index,
    message,
    logprobs: null,
    finish_reason: finishReasonOfGemini(candidate.finishReason, toolCalls.length > 0),
  };
}

/** A part's function call as a chat tool call, its signature in the id (gemini-call-id.ts). */
export function toolCallOf(part: GeminiPart): JsonObject | undefined {
  const call = part.functionCall;
  if (!call) return undefined;
  return {
    id: geminiCallId(call.id, part.thoughtSignature),
    type: "function",
    function: { name: call.name, arguments: argumentsText(call.args) },
  };
}
