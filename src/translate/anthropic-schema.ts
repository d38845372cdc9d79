import { z } from "zod";

/**
 * The parts of Anthropic's Messages API the translators read. Objects are loose: fields we
 * do not translate are tolerated here and dropped (or passed on) by the translator.
 */
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

export const anthropicContentBlock = z.union([
  textBlock,
  imageBlock,
  toolUseBlock,
  toolResultBlock,
  otherBlock,
]);
export type AnthropicContentBlock = z.infer<typeof anthropicContentBlock>;

export const anthropicMessage = z.looseObject({
  /** `system` turns inside `messages` are sent by newer clients (Claude Code) for some models. */
  role: z.enum(["user", "assistant", "system"]),
  content: z.union([z.string(), z.array(anthropicContentBlock)]),
});
export type AnthropicMessage = z.infer<typeof anthropicMessage>;

export const anthropicTool = z.looseObject({
  type: z.string().optional(),
  name: z.string(),
  description: z.string().optional(),
  input_schema: z.record(z.string(), z.unknown()).optional(),
  /** Structured tool use: the input must follow the schema (OpenAI's `function.strict`). */
  strict: z.boolean().optional(),
});

export const anthropicToolChoice = z.looseObject({
  type: z.enum(["auto", "any", "tool", "none"]),
  name: z.string().optional(),
  disable_parallel_tool_use: z.boolean().optional(),
});

/** The answer's JSON Schema (structured outputs). */
const outputFormat = z.looseObject({ type: z.string(), schema: z.unknown().optional() });

/**
 * A Messages request's `stream`: a boolean, or absent. Not null, as Anthropic's API types it
 * (`stream?: boolean`; its SDKs leave it out rather than send null); the front door's validation,
 * the OpenAPI document (http/request-schemas.ts) and the translation read this one schema, so a
 * body one of them takes none refuses.
 */
export const anthropicStream = z
  .boolean({ error: "stream must be a boolean" })
  .optional()
  .meta({ description: "Stream the answer as server-sent events." });

export const anthropicRequest = z.looseObject({
  model: z.string(),
  max_tokens: z.number().int().positive(),
  messages: z.array(anthropicMessage),
  system: z.union([z.string(), z.array(textBlock)]).optional(),
  stop_sequences: z.array(z.string()).optional(),
  temperature: z.number().optional(),
  top_p: z.number().optional(),
  metadata: z.looseObject({ user_id: z.string().nullish() }).optional(),
  stream: anthropicStream,
  tools: z.array(anthropicTool).optional(),
  tool_choice: anthropicToolChoice.optional(),
  thinking: z.looseObject({ type: z.string(), budget_tokens: z.number().int().optional() }).nullish(),
  output_config: z.looseObject({ effort: z.string().nullish(), format: outputFormat.nullish() }).nullish(),
  /** The structured-outputs beta's name for `output_config.format`. */
  output_format: outputFormat.nullish(),
  service_tier: z.string().nullish(),
});
export type AnthropicRequest = z.infer<typeof anthropicRequest>;

export const anthropicUsage = z.looseObject({
  input_tokens: z.number().nullish(),
  output_tokens: z.number().nullish(),
  cache_creation_input_tokens: z.number().nullish(),
  cache_read_input_tokens: z.number().nullish(),
});
export type AnthropicUsage = z.infer<typeof anthropicUsage>;

export const anthropicResponse = z.looseObject({
  id: z.string(),
  content: z.array(anthropicContentBlock),
  stop_reason: z.string().nullish(),
  stop_sequence: z.string().nullish(),
  usage: anthropicUsage.optional(),
});
export type AnthropicResponse = z.infer<typeof anthropicResponse>;

export const anthropicStreamEvent = z.discriminatedUnion("type", [
  z.looseObject({
    type: z.literal("message_start"),
    message: z.looseObject({ id: z.string(), usage: anthropicUsage.optional() }),
  }),
  z.looseObject({
    type: z.literal("content_block_start"),
    index: z.number().int(),
    content_block: anthropicContentBlock,
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
    usage: anthropicUsage.optional(),
  }),
  z.looseObject({ type: z.literal("message_stop") }),
  z.looseObject({ type: z.literal("ping") }),
  z.looseObject({
    type: z.literal("error"),
    error: z.looseObject({ type: z.string(), message: z.string() }),
  }),
]);
export type AnthropicStreamEvent = z.infer<typeof anthropicStreamEvent>;
