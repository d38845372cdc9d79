import type { JsonObject } from "../../core/dialect.ts";
import { AnswerMessage, chatToolCall } from "../answer-message.ts";
import { parseBody } from "../parse-body.ts";
import { noteThinking, THINKING_SEPARATOR, type ThinkingBlock } from "../thinking-blocks.ts";
import type { UnknownFinish } from "../unknown-finish.ts";
import { type ConverseReasoning, converseResponse } from "./converse-schema.ts";
import { failedStop, finishFields, finishReasonOfConverse } from "./converse-stop-reason.ts";
import { converseUsageToOpenAI } from "./converse-usage.ts";

/**
 * Bedrock Converse response → OpenAI chat.completion. Text blocks join into `content`, toolUse
 * blocks become `tool_calls`, reasoning blocks (`reasoningContent`) their text joined by a blank
 * line into `reasoning_content`, as a chat server answers it. The blocks themselves, each with the
 * signature Claude made of it, and Claude's redacted ones, which chat has no field for, are noted
 * beside the message (thinking-blocks.ts), for a translation on: an Anthropic caller's thinking
 * blocks, a Responses caller's reasoning items. A turn whose stopReason says it failed
 * (`failedStop`) is thrown; one the gateway does not know is told to `unknown`.
 */
export function converseResponseToChat(
  body: JsonObject,
  model: string,
  id: string,
  created = Math.floor(Date.now() / 1000),
  unknown?: UnknownFinish,
): JsonObject {
  const response = parseBody(converseResponse, body, "upstream");
  const answer = new AnswerMessage();
  const thought: ThinkingBlock[] = [];
  for (const block of response.output.message.content) {
    if (block.text !== undefined) answer.addText(block.text);
    if (block.toolUse) {
      const { toolUseId, name, input } = block.toolUse;
      answer.addCall(chatToolCall(toolUseId, name, input));
    }
    const reasoning = block.reasoningContent && thinkingBlockOf(block.reasoningContent);
    if (reasoning) thought.push(reasoning);
  }
  const failed = failedStop(response.stopReason, answer, response.usage ?? {}, unknown);
  if (failed) throw failed;
  const message = answer.message(
    thought
      .map((block) => block.thinking)
      .filter((thinking) => thinking !== "")
      .join(THINKING_SEPARATOR),
  );
  if (thought.length > 0) noteThinking(message, thought);
  return {
    id,
    object: "chat.completion",
    created,
    model,
    choices: [
      {
        index: 0,
        message,
        logprobs: null,
        finish_reason: finishReasonOfConverse(response.stopReason, answer.callsTools),
        ...finishFields(response.stopReason, response.additionalModelResponseFields),
      },
    ],
    usage: converseUsageToOpenAI(response.usage ?? {}),
  };
}

/** A `reasoningContent` block as a thinking block; undefined for one that says nothing. */
function thinkingBlockOf(reasoning: ConverseReasoning): ThinkingBlock | undefined {
  if (reasoning.redactedContent) return { thinking: "", signature: "", redacted: reasoning.redactedContent };
  const thinking = reasoning.reasoningText?.text ?? "";
  const signature = reasoning.reasoningText?.signature ?? "";
  return thinking === "" && signature === "" ? undefined : { thinking, signature };
}
