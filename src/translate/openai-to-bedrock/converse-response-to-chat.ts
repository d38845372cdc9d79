import type { JsonObject } from "../../core/dialect.ts";
import { AnswerMessage, chatToolCall } from "../answer-message.ts";
import { parseBody } from "../parse-body.ts";
import type { UnknownFinish } from "../unknown-finish.ts";
import { converseResponse } from "./converse-schema.ts";
import { failedStop, finishReasonOfConverse } from "./converse-stop-reason.ts";
import { converseUsageToOpenAI } from "./converse-usage.ts";

/**
 * Bedrock Converse response → OpenAI chat.completion. Text blocks join into `content`, toolUse
 * blocks become `tool_calls`; reasoning blocks have no chat-completions form and are dropped. A
 * turn whose stopReason says it failed (`failedStop`) is thrown; one the gateway does not know is
 * told to `unknown`.
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
  for (const block of response.output.message.content) {
    if (block.text !== undefined) answer.addText(block.text);
    if (block.toolUse) {
      const { toolUseId, name, input } = block.toolUse;
      answer.addCall(chatToolCall(toolUseId, name, input));
    }
  }
  const failed = failedStop(response.stopReason, answer, response.usage ?? {}, unknown);
  if (failed) throw failed;
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
        finish_reason: finishReasonOfConverse(response.stopReason, answer.callsTools),
      },
    ],
    usage: converseUsageToOpenAI(response.usage ?? {}),
  };
}
