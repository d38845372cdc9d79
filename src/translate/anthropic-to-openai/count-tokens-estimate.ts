import type { JsonObject } from "../../core/dialect.ts";
import { anthropicRequest } from "../anthropic-schema.ts";
import { parseBody } from "../parse-body.ts";
import { type TokenCounter, tokenCounter } from "../token-count.ts";

/** Per-turn framing tokens (role markers), as OpenAI's own counting recipe adds them. */
const PER_MESSAGE = 3;

/**
 * One image, wherever it is (a turn, a tool's result). Anthropic counts width × height / 750 and
 * scales an image down to about 1.15 megapixels first, so no image costs more than ~1,600 tokens;
 * without decoding its size, an image is counted at that cap (screenshots, the usual image in an
 * agent's conversation, reach it). Its base64 is never the model's text, so never counted.
 */
const IMAGE_TOKENS = 1600;

/** A count_tokens request: a messages request without `max_tokens` (made once, so its judge is too). */
const countTokensRequest = anthropicRequest.omit({ max_tokens: true });

/**
 * `POST /v1/messages/count_tokens` for a route whose upstream has no such endpoint (an
 * OpenAI-type server): an estimate with a real tokenizer over everything the model would read —
 * system, every turn's text, tool calls and results, and the tool definitions. Upstream
 * tokenizers differ, so this is close, not exact; the answer is never a 400.
 */
export async function estimateInputTokens(body: JsonObject): Promise<JsonObject> {
  const request = parseBody(countTokensRequest, body, "request");
  const count = await tokenCounter();
  let tokens = 0;
  const add = (value: unknown) => {
    if (value === undefined || value === null) return;
    tokens += count(typeof value === "string" ? value : JSON.stringify(value));
  };
  add(
    typeof request.system === "string"
      ? request.system
      : request.system?.map((block) => block.text).join("\n"),
  );
  for (const message of request.messages) {
    tokens += PER_MESSAGE;
    if (typeof message.content === "string") add(message.content);
    else for (const block of message.content) tokens += blockTokens(block, count);
  }
  for (const tool of request.tools ?? [])
    add({ name: tool.name, description: tool.description, input_schema: tool.input_schema });
  return { input_tokens: tokens };
}

/** What the model reads of a block: text, a call's input, a result's content, a thought, an image. */
function blockTokens(block: JsonObject, count: TokenCounter): number {
  const nested = (content: unknown): number => {
    if (typeof content === "string") return count(content);
    if (!Array.isArray(content)) return 0;
    return content.reduce<number>((sum, item) => sum + (isBlock(item) ? blockTokens(item, count) : 0), 0);
  };
  if (block.type === "image") return IMAGE_TOKENS;
  if (typeof block.text === "string") return count(block.text);
  if (typeof block.thinking === "string") return count(block.thinking);
  if (block.type === "tool_use") return count(JSON.stringify({ name: block.name, input: block.input }));
  if (block.type === "tool_result") return nested(block.content);
  if (block.type === "search_result")
    return count(`${block.title ?? ""}\n${block.source ?? ""}`) + nested(block.content);
  return 0; // documents: the upstream's own accounting, not text
}

const isBlock = (value: unknown): value is JsonObject =>
  typeof value === "object" && value !== null && !Array.isArray(value);
