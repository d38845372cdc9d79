import type { AnthropicStreamEvent } from "../anthropic-schema.ts";
import { type Fields, isFields, isIndex, optionalText, plainAnthropicUsage } from "../plain-fields.ts";

/** The shape each everyday event type must have; a type not named here goes to zod. */
const PLAIN: Record<string, (event: Fields) => boolean> = {
  ping: () => true,
  message_stop: () => true,
  content_block_stop: (event) => isIndex(event.index),
  content_block_delta: ({ index, delta }) =>
    isIndex(index) &&
    isFields(delta) &&
    typeof delta.type === "string" &&
    (delta.text === undefined || typeof delta.text === "string") &&
    (delta.partial_json === undefined || typeof delta.partial_json === "string"),
  // A text block only; tool use, thinking and the rest go to zod's union of blocks.
  content_block_start: ({ index, content_block: block }) =>
    isIndex(index) && isFields(block) && block.type === "text" && typeof block.text === "string",
  message_delta: ({ delta, usage }) =>
    isFields(delta) &&
    optionalText(delta.stop_reason) &&
    optionalText(delta.stop_sequence) &&
    plainAnthropicUsage(usage),
  message_start: ({ message }) =>
    isFields(message) && typeof message.id === "string" && plainAnthropicUsage(message.usage),
};

/**
 * A parsed Anthropic stream event of an everyday shape (a text delta, a ping, a block's start or
 * stop, the message's start, delta and stop) checked by hand, else undefined: the caller then lets
 * `anthropicSchemas().streamEvent` (zod) judge it (errors, tool use, anything odd). Only an event that
 * schema would accept unchanged passes (its loose objects keep unknown fields), so the answer is
 * the same; what is saved is zod walking and copying each of the ~26 events of every stream an
 * OpenAI caller reads from an Anthropic model (docs/BENCHMARKS-HISTORY.md, session 18), as
 * plain-chat-chunk.ts does for the other direction.
 */
export function plainMessagesEvent(body: unknown): AnthropicStreamEvent | undefined {
  if (!isFields(body) || typeof body.type !== "string" || !Object.hasOwn(PLAIN, body.type)) return undefined;
  return PLAIN[body.type]?.(body) ? (body as AnthropicStreamEvent) : undefined;
}
