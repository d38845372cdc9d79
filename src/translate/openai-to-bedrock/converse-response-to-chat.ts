import type { JsonObject } from "../../core/dialect.ts";
import { noteCallsInText } from "../calls-in-text.ts";
import { argumentsText, assistantMessage } from "../chat-chunk-builder.ts";
import { parseBody } from "../parse-body.ts";
import { converseResponse } from "./converse-schema.ts";
import { converseUsageToOpenAI, finishReasonOfConverse } from "./converse-usage.ts";

/**
 * Bedrock Converse response → OpenAI chat.completion. Text blocks join into `content`, toolUse
 * blocks become `tool_calls`; reasoning blocks have no chat-completions form and are dropped.
 */
export function converseResponseToChat(
  body: JsonObject,
  model: string,
  id: string,
  created = Math.floor(Date.now() / 1000),
): JsonObject {
  const response = parseBody(converseResponse, body, "upstream");
  let text = "";
  const toolCalls: JsonObject[] = [];
  const before: number[] = [];
  for (const block of response.output.message.content) {
    if (block.text !== undefined) text += block.text;
    if (block.toolUse) {
      const { toolUseId, name, input } = block.toolUse;
      toolCalls.push({
        id: toolUseId,
        type: "function",
        function: { name, arguments: argumentsText(input) },
      });
      before.push(text.length);
    }
  }
  const message = assistantMessage(text, toolCalls);
  // Text after a call: said in order to a Responses caller (calls-in-text.ts).
  noteCallsInText(message, text, before);
  return {
    id,
    object: "chat.completion",
    created,
    model,
    choices: [
      { index: 0, message, logprobs: null, finish_reason: finishReasonOfConverse(response.stopReason) },
    ],
    usage: converseUsageToOpenAI(response.usage ?? {}),
  };
}
