import type { JsonObject } from "../../core/dialect.ts";
import { reasoningText } from "../anthropic-to-openai/messages-stream-writer.ts";
import { openAIChatResponse } from "../openai-schema.ts";
import { parseBody } from "../parse-body.ts";
import { outputTextLogprobs } from "./output-logprobs.ts";
import {
  functionCallItem,
  functionCallItemId,
  type ItemStatus,
  messageItem,
  messageItemId,
  outputTextPart,
  reasoningItem,
  reasoningItemId,
  refusalPart,
  responseEnvelope,
  responseStatus,
  responsesUsage,
} from "./response-envelope.ts";
import { ToolNames } from "./tool-names.ts";

/** A new Responses id (`resp_` + 48 hex digits, as OpenAI's look). */
export function newResponseId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  return `resp_${Buffer.from(bytes).toString("hex")}`;
}

/**
 * chat.completion → Responses `response`. `request` is the caller's Responses request (echoed
 * in the envelope, `model` included); `id` is the response id the gateway stores it under.
 */
export function chatResponseToResponse(
  chat: JsonObject,
  request: JsonObject,
  id: string,
  tools: ToolNames = new ToolNames(),
): JsonObject {
  const body = parseBody(openAIChatResponse, chat, "upstream");
  const choice = body.choices[0];
  const ended = responseStatus(choice?.finish_reason);
  const output: JsonObject[] = [];
  const reasoning = reasoningText(choice?.message.reasoning_content ?? choice?.message.reasoning);
  if (reasoning) output.push(reasoningItem(reasoningItemId(id), reasoning));
  const text = choice?.message.content ?? "";
  const refusal = choice?.message.refusal ?? "";
  const logprobs = outputTextLogprobs(choice?.logprobs);
  const calls = choice?.message.tool_calls ?? [];
  // A cut answer was cut in its last item: the last call, else the message.
  const status = (last: boolean): ItemStatus =>
    last && ended.status === "incomplete" ? "incomplete" : "completed";
  // A refusal is a part of its own (a chat server sends it in place of the text).
  const parts = [
    ...(text !== "" ? [outputTextPart(text, logprobs)] : []),
    ...(refusal !== "" ? [refusalPart(refusal)] : []),
  ];
  if (parts.length > 0) output.push(messageItem(messageItemId(id), status(calls.length === 0), parts));
  for (const [n, call] of calls.entries()) {
    const target = tools.target(call.function.name);
    const fields = { ...target, callId: call.id, arguments: call.function.arguments ?? "" };
    output.push(functionCallItem(functionCallItemId(id, n), fields, status(n === calls.length - 1)));
  }
  return responseEnvelope({
    id,
    createdAt: body.created ?? Math.floor(Date.now() / 1000),
    request,
    output,
    usage: responsesUsage(body.usage),
    ...ended,
  });
}
