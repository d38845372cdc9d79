import { builtOnFirstUse } from "../../core/built-on-first-use.ts";
import { isJsonObject, type JsonObject } from "../../core/dialect.ts";
import { anthropicSchemas } from "../anthropic-schema.ts";
import { mediaTokens } from "../media-tokens.ts";
import { parseBody } from "../parse-body.ts";
import { type TokenCounter, tokenCounter } from "../token-count.ts";

/** Per-turn framing tokens (role markers), as OpenAI's own counting recipe adds them. */
const PER_MESSAGE = 3;

/**
 * A count_tokens request: a messages request without `max_tokens` (made once, so its judge is too;
 * on the first count, as the messages request's schema is).
 */
const countTokensRequest = builtOnFirstUse("a count_tokens request's schema", () =>
  anthropicSchemas().request.omit({ max_tokens: true }),
);

/**
 * `POST /v1/messages/count_tokens` for a route whose upstream has no such endpoint (an
 * OpenAI-type server): an estimate with a real tokenizer over everything the model would read —
 * system, every turn's text, tool calls and results, and the tool definitions; an image, a PDF, a
 * clip at its own figure, wherever it is (media-tokens.ts: their base64 is never text). Thinking
 * blocks count only where the route is sent them (`readsThinking`: an upstream that wants its
 * reasoning back, DeepSeek's); any other leaves them out of the conversation (messages-request-to-chat.ts),
 * as Anthropic's own count leaves out earlier turns' thinking. Upstream tokenizers differ, so this
 * is close, not exact; the answer is never a 400.
 */
export async function estimateInputTokens(body: JsonObject, readsThinking = false): Promise<JsonObject> {
  const request = parseBody(countTokensRequest(), body, "request");
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
    else for (const block of message.content) tokens += blockTokens(block, count, readsThinking);
  }
  for (const tool of request.tools ?? [])
    add({ name: tool.name, description: tool.description, input_schema: tool.input_schema });
  return { input_tokens: tokens };
}

/**
 * What the model reads of a block: text, a call's input, a result's content, a thought where it
 * reads thoughts, a document's text, a medium's figure.
 */
function blockTokens(block: JsonObject, count: TokenCounter, readsThinking: boolean): number {
  const nested = (content: unknown): number => {
    if (typeof content === "string") return count(content);
    if (!Array.isArray(content)) return 0;
    return content.reduce<number>(
      (sum, item) => sum + (isJsonObject(item) ? blockTokens(item, count, readsThinking) : 0),
      0,
    );
  };
  const media = mediaTokens(block);
  if (media !== undefined) return media;
  if (typeof block.text === "string") return count(block.text);
  if (typeof block.thinking === "string") return readsThinking ? count(block.thinking) : 0;
  if (block.type === "tool_use") return count(JSON.stringify({ name: block.name, input: block.input }));
  if (block.type === "tool_result") return nested(block.content);
  if (block.type === "search_result")
    return count(`${block.title ?? ""}\n${block.source ?? ""}`) + nested(block.content);
  // A document of text (a PDF's is a medium): its text, or its blocks, behind its title and context.
  if (block.type === "document" && isJsonObject(block.source))
    return (
      count(`${block.title ?? ""}\n${block.context ?? ""}`) +
      nested(block.source.data ?? block.source.content)
    );
  return 0;
}
