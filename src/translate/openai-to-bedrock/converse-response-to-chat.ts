import type { JsonObject } from "../../core/dialect.ts";
import { AnswerMessage, chatToolCall } from "../answer-message.ts";
import { parseBody } from "../parse-body.ts";
import { converseResponse } from "./converse-schema.ts";
import { converseUsageToOpenAI, failedStop, finishReasonOfConverse } from "./converse-usage.ts";

/**
 * Bedrock Converse response → OpenAI chat.completion. Text blocks join into `content`, toolUse
 * blocks become `tool_calls`; reasoning blocks have no chat-completions form and are dropped. A
 * turn whose stopReason says it failed (`failedStop`) is thrown.
 */
export function converseResponseToChat(
  body: JsonObject,
  model: string,
  id: string,
  created = Math.floor(Date.now() / 1000),
): JsonObject {
  const response = parseBody(converseResponse, body, "upstream");
  const failed = failedStop(response.stopReason, response.usage ?? {});
  if (failed) throw failed;
  const answer = new AnswerMessage();
  for (const block of response.output.message.content) {
    if (block.text !== undefined) answer.addText(block.text);
    if (block.toolUse) {
      const { toolUseId, name, input } = block.toolUse;
      answer.addCall(chatToolCall(toolUseId, name, input));
    }
  }
  return {
    id,
    object: "chat.completion",
    created,
    model,
    choices: [
      {
        index: 0,
        message: answer.message(),
        logprobs: null,
        finish_reason: finishReasonOfConverse(response.stopReason),
      },
    ],
    usage: converseUsageToOpenAI(response.usage ?? {}),
  };
}
