import type { JsonObject } from "../../core/dialect.ts";
import { callsInText } from "../calls-in-text.ts";
import { type OpenAIChatResponse, type OpenAIChunk, openAISchemas } from "../openai-schema.ts";
import { parseBody } from "../parse-body.ts";
import { encryptedThinking, thinkingOf } from "../thinking-blocks.ts";
import { ResponsesStreamWriter } from "./responses-stream-writer.ts";
import { ToolNames } from "./tool-names.ts";

/** A new Responses id (`resp_` + 48 hex digits, as OpenAI's look). */
export function newResponseId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  return `resp_${Buffer.from(bytes).toString("hex")}`;
}

/**
 * chat.completion → Responses `response`. `request` is the caller's Responses request (echoed
 * in the envelope, `model` included); `id` is the response id the gateway stores it under.
 * The answer goes through the stream's own writer as the chunks it would have streamed in, so a
 * whole answer's items (their order, ids and statuses) are its stream's: text, a call, then more
 * text are two messages around the call when the upstream said so (calls-in-text.ts). A Messages
 * server's thinking blocks noted on the answer are marked as `thinkingBackTo`'s (thinking-blocks.ts).
 */
export function chatResponseToResponse(
  chat: JsonObject,
  request: JsonObject,
  id: string,
  tools: ToolNames = new ToolNames(),
  thinkingBackTo?: string,
): JsonObject {
  const body = parseBody(openAISchemas().chatResponse, chat, "upstream");
  let response: JsonObject | undefined;
  const writer = new ResponsesStreamWriter({
    id,
    request,
    createdAt: body.created ?? Math.floor(Date.now() / 1000),
    tools,
    whole: true,
    onResponse: (whole) => {
      response = whole;
    },
  });
  // Looked up on the answer as the translation wrote it (the parse may be a copy).
  const first = Array.isArray(chat.choices) ? (chat.choices[0] as JsonObject | undefined) : undefined;
  // A Messages server's thinking blocks, a reasoning item each, as its stream's are
  // (messages-to-responses-writer.ts); then the rest, without the reasoning they joined into.
  const thought = thinkingOf(first?.message);
  for (const block of thought ?? []) {
    writer.reasoningApart();
    if (block.thinking !== "")
      writer.chunk({ choices: [{ index: 0, delta: { reasoning_content: block.thinking } }] });
    const encrypted =
      thinkingBackTo === undefined ? undefined : encryptedThinking(block.signature, thinkingBackTo);
    if (encrypted !== undefined) writer.reasoningSealed(encrypted);
  }
  for (const chunk of chunksOf(body, callsInText(first?.message), thought === undefined)) writer.chunk(chunk);
  writer.finish();
  if (!response) throw new Error("the Responses writer finished without a response");
  return response;
}

type Choice = OpenAIChatResponse["choices"][number];

/**
 * The chunks a whole chat answer would have streamed in: its reasoning (`withReasoning`: unless
 * its blocks were said already), its text (cut where each call came, `before`), its calls, its
 * annotations, its refusal, then its finish, usage and moderation. Its logprobs come with its first text.
 */
function chunksOf(
  body: OpenAIChatResponse,
  before: readonly number[] | undefined,
  withReasoning: boolean,
): OpenAIChunk[] {
  const choice = body.choices[0];
  const chunks: OpenAIChunk[] = [];
  const delta = (fields: JsonObject, extra: JsonObject = {}) =>
    chunks.push({ choices: [{ index: 0, delta: fields, ...extra }] });
  if (choice) {
    const { message } = choice;
    const reasoning = message.reasoning_content ?? message.reasoning;
    if (withReasoning && reasoning !== undefined && reasoning !== null)
      delta({ reasoning_content: reasoning });
    const text = message.content ?? "";
    const calls = message.tool_calls ?? [];
    let from = 0;
    let logprobs: JsonObject = logprobsOf(choice);
    const textUpTo = (to: number) => {
      if (to > from) delta({ content: text.slice(from, to) }, logprobs);
      if (to > from) logprobs = {};
      from = Math.max(from, to);
    };
    for (const [index, call] of calls.entries()) {
      textUpTo(before?.[index] ?? text.length);
      const { id, function: fn } = call;
      delta({ tool_calls: [{ index, id, function: { name: fn.name, arguments: fn.arguments ?? "" } }] });
    }
    textUpTo(text.length);
    // Its web citations after the text, as a search model streams them.
    if (Array.isArray(message.annotations) && message.annotations.length > 0)
      delta({ annotations: message.annotations });
    if (message.refusal) delta({ refusal: message.refusal });
    chunks.push({ choices: [{ index: 0, delta: {}, finish_reason: choice.finish_reason ?? null }] });
  }
  if (body.usage) chunks.push({ choices: [], usage: body.usage });
  if (body.moderation) chunks.push({ choices: [], moderation: body.moderation });
  return chunks;
}

const logprobsOf = (choice: Choice): JsonObject =>
  "logprobs" in choice && choice.logprobs != null ? { logprobs: choice.logprobs } : {};
