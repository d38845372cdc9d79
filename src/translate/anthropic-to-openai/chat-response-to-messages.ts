import { isJsonObject, type JsonObject } from "../../core/dialect.ts";
import { anthropicToolId } from "../anthropic-tool-id.ts";
import { hasText } from "../has-text.ts";
import { openAISchemas } from "../openai-schema.ts";
import { parseBody, parseToolArguments } from "../parse-body.ts";
import { reasoningText } from "../stream/chat-choice-walk.ts";
import { type ThinkingBlock, thinkingOf } from "../thinking-blocks.ts";
import { unsignedThinkingBlock } from "../unsigned-thinking-block.ts";
import { chatUsage } from "../usage-mapping.ts";
import { messagesUsage } from "./messages-usage.ts";
import { partialToolInput } from "./partial-tool-input.ts";
import { anthropicStopReason } from "./stop-reason.ts";

/** Anthropic message ids look like `msg_…`; keep the upstream id recognisable inside it. */
export function anthropicMessageId(chatId: string | undefined): string {
  const core = (chatId ?? "").replace(/^chatcmpl-/, "");
  return `msg_${core || crypto.randomUUID().replaceAll("-", "")}`;
}

/**
 * OpenAI chat.completion → Anthropic message. Only the first choice is used (Anthropic has no
 * `n`). Tool-call arguments that are not a JSON object become `{}`; cut by the output limit, they
 * are the keys whole so far.
 */
export function chatResponseToMessages(body: JsonObject, requestedModel: string): JsonObject {
  const chat = parseBody(openAISchemas().chatResponse, body, "upstream");
  const choice = chat.choices[0];
  const content: JsonObject[] = [];
  const message = choice?.message;
  // A chat server's reasoning becomes a thinking block (unsigned: no Anthropic model wrote it);
  // the blocks noted beside the message as the translation wrote it (the parse may be a copy),
  // each with its signature (Claude's through Bedrock Converse), are those blocks.
  const first = Array.isArray(body.choices) ? body.choices[0] : undefined;
  const noted = isJsonObject(first) ? thinkingOf(first.message) : undefined;
  const reasoning = reasoningText(message?.reasoning_content ?? message?.reasoning);
  if (noted) content.push(...noted.flatMap(messagesThinkingBlock));
  else if (reasoning) content.push(unsignedThinkingBlock(reasoning));
  // A refusal beside content is the answer's text after it, as the stream writes it.
  const refusal = message?.refusal;
  const text = refusal ? `${message?.content ?? ""}${refusal}` : message?.content;
  // A whitespace-only text ("\n\n" before a tool call) is no block: Anthropic refuses one when
  // the conversation comes back to it.
  if (hasText(text)) content.push({ type: "text", text });
  for (const call of message?.tool_calls ?? []) {
    content.push({
      type: "tool_use",
      id: anthropicToolId(call.id),
      name: call.function.name,
      // Cut by the output limit, the keys whole so far, as the stream's fragments read (partial-tool-input.ts).
      input:
        (choice?.finish_reason === "length" ? partialToolInput(call.function.arguments ?? "") : undefined) ??
        parseToolArguments(call.function.arguments),
    });
  }
  const hasToolCalls = (message?.tool_calls?.length ?? 0) > 0;
  const stop = anthropicStopReason({
    finishReason: choice?.finish_reason,
    matchedStop: choice?.stop_reason,
    nativeFinish: choice?.native_finish_reason,
    hasToolCalls,
    refused: Boolean(refusal),
  });
  return {
    id: anthropicMessageId(chat.id),
    type: "message",
    role: "assistant",
    model: requestedModel,
    content,
    stop_reason: stop.stop_reason,
    stop_sequence: stop.stop_sequence,
    usage: messagesUsage(chatUsage(chat.usage ?? {}), chat.service_tier),
  };
}

/**
 * A noted thinking block as a Messages block: Claude's redacted thinking as `redacted_thinking`,
 * a block with its signature as it came; none for one with neither text nor signature.
 */
function messagesThinkingBlock(block: ThinkingBlock): JsonObject[] {
  if (block.redacted !== undefined) return [{ type: "redacted_thinking", data: block.redacted }];
  if (block.thinking === "" && block.signature === "") return [];
  return [{ type: "thinking", thinking: block.thinking, signature: block.signature }];
}
