import type { JsonObject } from "../core/dialect.ts";
import { type AnthropicResponse, anthropicResponse } from "./anthropic-schema.ts";
import { parseBody } from "./parse-body.ts";
import { isFields, optionalText, plainAnthropicUsage } from "./plain-fields.ts";

/** A text block (`{type: "text", text}`); tool use, thinking and the rest go to zod's union of blocks. */
const isTextBlock = (block: unknown) =>
  isFields(block) && block.type === "text" && typeof block.text === "string";

/**
 * An Anthropic message of the everyday shape (text blocks, a stop reason, the usage) checked by
 * hand, else undefined. Only what `anthropicResponse` would accept unchanged passes (its loose
 * objects keep unknown fields), so the reading is the same; what is saved is zod walking and
 * copying the whole answer of every non-stream request an OpenAI caller sends to an Anthropic
 * model (docs/BENCHMARKS-HISTORY.md, session 18).
 */
export function plainMessagesResponse(body: unknown): AnthropicResponse | undefined {
  if (!isFields(body) || typeof body.id !== "string" || !Array.isArray(body.content)) return undefined;
  if (!optionalText(body.stop_reason) || !optionalText(body.stop_sequence)) return undefined;
  if (!plainAnthropicUsage(body.usage) || !body.content.every(isTextBlock)) return undefined;
  return body as AnthropicResponse;
}

/** An upstream's Anthropic message as the translators read it: checked by hand, or by zod (502 if unreadable). */
export const readMessagesResponse = (body: JsonObject): AnthropicResponse =>
  plainMessagesResponse(body) ?? parseBody(anthropicResponse, body, "upstream");
