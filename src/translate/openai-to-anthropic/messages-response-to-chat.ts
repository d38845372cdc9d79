import type { JsonObject } from "../../core/dialect.ts";
import { AnswerMessage } from "../answer-message.ts";
import { anthropicSchemas } from "../anthropic-schema.ts";
import { parseBody } from "../parse-body.ts";
import { noteThinking, THINKING_SEPARATOR, type ThinkingBlock } from "../thinking-blocks.ts";
import { anthropicUsageToOpenAI } from "../usage-mapping.ts";
import { openAIFinishReason, refusalExplanation } from "./finish-reason.ts";
import { urlCitations } from "./url-citations.ts";

/** OpenAI completion ids look like `chatcmpl-…`; keep the upstream id recognisable inside it. */
export function chatCompletionId(messageId: string): string {
  return `chatcmpl-${messageId.replace(/^msg_/, "")}`;
}

/**
 * How a Messages answer becomes chat beyond its blocks, whole (`messagesResponseToChat`) or streamed
 * (`ChatChunkWriter`, and on to Responses: `MessagesToResponsesWriter`).
 */
export interface MessagesToChatOptions {
  /**
   * The upstream takes its thinking back (`Provider.takesUnsignedThinking`: DeepSeek's
   * `/anthropic`): its thinking reaches the caller as `reasoning_content`, the field DeepSeek's own
   * chat API answers it in and the one a chat caller sends back, so that a tool-call turn goes back
   * with its thinking (chat-request-to-messages.ts) and not an empty one. Otherwise (Claude) the
   * thinking is left out: Claude takes back none of it without its signature, which chat has no
   * field for.
   */
  thinkingBack?: boolean | undefined;
  /** Unix seconds for `created`; defaults to now. */
  created?: number | undefined;
}

/**
 * Anthropic message → OpenAI chat.completion. Text blocks join into `content`; tool_use blocks
 * become `tool_calls` with JSON-string arguments; thinking blocks, joined by a blank line,
 * `reasoning_content` when the upstream takes them back (`thinkingBack`), else dropped. Their
 * signatures, which chat has no field for, are noted beside the message with the blocks
 * (thinking-blocks.ts), for a translation on to the Responses API. A refusal's explanation is
 * `refusal` (finish-reason.ts).
 */
export function messagesResponseToChat(
  body: JsonObject,
  requestedModel: string,
  { thinkingBack = false, created = Math.floor(Date.now() / 1000) }: MessagesToChatOptions = {},
): JsonObject {
  const message = parseBody(anthropicSchemas().response, body, "upstream");
  const answer = new AnswerMessage();
  const thought: ThinkingBlock[] = [];
  const annotations: JsonObject[] = [];
  for (const block of message.content) {
    if (block.type === "text" && typeof block.text === "string") {
      const start = answer.textLength;
      answer.addText(block.text);
      annotations.push(...urlCitations(block.citations, start, answer.textLength));
    } else if (thinkingBack && block.type === "thinking" && typeof block.thinking === "string") {
      const signature = typeof block.signature === "string" ? block.signature : "";
      thought.push({ thinking: block.thinking, signature });
    } else if (block.type === "tool_use" && "id" in block && "name" in block)
      // A block that passed as another (an id that is no string) goes on as it came.
      answer.addCall({
        id: block.id,
        type: "function",
        function: { name: block.name, arguments: JSON.stringify(block.input ?? {}) },
      });
  }
  const reasoning = thought
    .map((block) => block.thinking)
    .filter((thinking) => thinking !== "")
    .join(THINKING_SEPARATOR);
  const reply = answer.message(reasoning);
  if (thought.length > 0) noteThinking(reply, thought);
  if (annotations.length > 0) reply.annotations = annotations;
  const refusal = refusalExplanation(message.stop_reason, message.stop_details);
  if (refusal !== undefined) reply.refusal = refusal;
  return {
    id: chatCompletionId(message.id),
    object: "chat.completion",
    created,
    model: requestedModel,
    choices: [
      {
        index: 0,
        message: reply,
        logprobs: null,
        finish_reason: openAIFinishReason(message.stop_reason),
      },
    ],
    usage: anthropicUsageToOpenAI(message.usage ?? {}),
  };
}
