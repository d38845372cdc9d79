import { z } from "zod";
import { builtOnFirstUse } from "../core/built-on-first-use.ts";
import { anthropicStream } from "./anthropic-stream-field.ts";

/**
 * The parts of Anthropic's Messages API the translators read. Objects are loose: fields we
 * do not translate are tolerated here and dropped (or passed on) by the translator.
 */
function buildAnthropicSchemas() {
  const textBlock = z.looseObject({ type: z.literal("text"), text: z.string() });

  const imageSource = z.union([
    z.looseObject({ type: z.literal("base64"), media_type: z.string(), data: z.string() }),
    z.looseObject({ type: z.literal("url"), url: z.string() }),
  ]);
  const imageBlock = z.looseObject({ type: z.literal("image"), source: imageSource });

  const toolUseBlock = z.looseObject({
    type: z.literal("tool_use"),
    id: z.string(),
    name: z.string(),
    input: z.unknown(),
  });

  const toolResultBlock = z.looseObject({
    type: z.literal("tool_result"),
    tool_use_id: z.string(),
    content: z.union([z.string(), z.array(z.looseObject({ type: z.string() }))]).optional(),
    is_error: z.boolean().optional(),
  });

  /** Blocks we recognise but do not carry across (thinking, documents, server tools...). */
  const otherBlock = z.looseObject({ type: z.string() });

  const contentBlock = z.union([textBlock, imageBlock, toolUseBlock, toolResultBlock, otherBlock]);

  const message = z.looseObject({
    /** `system` turns inside `messages` are sent by newer clients (Claude Code) for some models. */
    role: z.enum(["user", "assistant", "system"]),
    content: z.union([z.string(), z.array(contentBlock)]),
  });

  const tool = z.looseObject({
    type: z.string().optional(),
    name: z.string(),
    description: z.string().optional(),
    input_schema: z.record(z.string(), z.unknown()).optional(),
    /** Structured tool use: the input must follow the schema (OpenAI's `function.strict`). */
    strict: z.boolean().optional(),
  });

  const toolChoice = z.looseObject({
    type: z.enum(["auto", "any", "tool", "none"]),
    name: z.string().optional(),
    disable_parallel_tool_use: z.boolean().optional(),
  });

  /** The answer's JSON Schema (structured outputs). */
  const outputFormat = z.looseObject({ type: z.string(), schema: z.unknown().optional() });

  const request = z.looseObject({
    model: z.string(),
    max_tokens: z.number().int().positive(),
    messages: z.array(message),
    system: z.union([z.string(), z.array(textBlock)]).optional(),
    stop_sequences: z.array(z.string()).optional(),
    temperature: z.number().optional(),
    top_p: z.number().optional(),
    metadata: z.looseObject({ user_id: z.string().nullish() }).optional(),
    stream: anthropicStream,
    tools: z.array(tool).optional(),
    tool_choice: toolChoice.optional(),
    thinking: z.looseObject({ type: z.string(), budget_tokens: z.number().int().optional() }).nullish(),
    output_config: z.looseObject({ effort: z.string().nullish(), format: outputFormat.nullish() }).nullish(),
    /** The structured-outputs beta's name for `output_config.format`. */
    output_format: outputFormat.nullish(),
    service_tier: z.string().nullish(),
  });

  const usage = z.looseObject({
    input_tokens: z.number().nullish(),
    output_tokens: z.number().nullish(),
    cache_creation_input_tokens: z.number().nullish(),
    cache_read_input_tokens: z.number().nullish(),
  });

  const response = z.looseObject({
    id: z.string(),
    content: z.array(contentBlock),
    stop_reason: z.string().nullish(),
    stop_sequence: z.string().nullish(),
    usage: usage.optional(),
  });

  const streamEvent = z.discriminatedUnion("type", [
    z.looseObject({
      type: z.literal("message_start"),
      message: z.looseObject({ id: z.string(), usage: usage.optional() }),
    }),
    z.looseObject({
      type: z.literal("content_block_start"),
      index: z.number().int(),
      content_block: contentBlock,
    }),
    z.looseObject({
      type: z.literal("content_block_delta"),
      index: z.number().int(),
      delta: z.looseObject({
        type: z.string(),
        text: z.string().optional(),
        partial_json: z.string().optional(),
      }),
    }),
    z.looseObject({ type: z.literal("content_block_stop"), index: z.number().int() }),
    z.looseObject({
      type: z.literal("message_delta"),
      delta: z.looseObject({ stop_reason: z.string().nullish(), stop_sequence: z.string().nullish() }),
      usage: usage.optional(),
    }),
    z.looseObject({ type: z.literal("message_stop") }),
    z.looseObject({ type: z.literal("ping") }),
    z.looseObject({
      type: z.literal("error"),
      error: z.looseObject({ type: z.string(), message: z.string() }),
    }),
  ]);

  return { contentBlock, message, request, usage, response, streamEvent };
}

/**
 * Built on the first body a translation reads: a gateway that never translates to or from
 * Anthropic's Messages API holds none of it (built-on-first-use.ts).
 */
export const anthropicSchemas = builtOnFirstUse("Anthropic Messages' schemas", buildAnthropicSchemas);
type AnthropicSchemas = ReturnType<typeof buildAnthropicSchemas>;

export type AnthropicContentBlock = z.infer<AnthropicSchemas["contentBlock"]>;
export type AnthropicMessage = z.infer<AnthropicSchemas["message"]>;
export type AnthropicRequest = z.infer<AnthropicSchemas["request"]>;
export type AnthropicUsage = z.infer<AnthropicSchemas["usage"]>;
export type AnthropicResponse = z.infer<AnthropicSchemas["response"]>;
export type AnthropicStreamEvent = z.infer<AnthropicSchemas["streamEvent"]>;
