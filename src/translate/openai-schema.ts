import { z } from "zod";
import { builtOnFirstUse } from "../core/built-on-first-use.ts";

/**
 * The parts of OpenAI's chat.completions API the translators read. Loose objects: unknown
 * fields are tolerated and, where the translator cannot carry them, dropped.
 */
function buildOpenAISchemas() {
  const contentPart = z.looseObject({
    type: z.string(),
    text: z.string().optional(),
    refusal: z.string().optional(),
    image_url: z
      .union([z.string(), z.looseObject({ url: z.string(), detail: z.string().nullish() })])
      .optional(),
    file: z
      .looseObject({
        file_data: z.string().optional(),
        file_id: z.string().optional(),
        /** The gateway's own, for a target that fetches a file by URL (ChatTarget.fileUrls). */
        file_url: z.string().optional(),
        filename: z.string().optional(),
      })
      .optional(),
    input_audio: z.looseObject({ data: z.string().optional(), format: z.string().optional() }).optional(),
  });

  const content = z.union([z.string(), z.array(contentPart)]).nullish();

  const toolCall = z.looseObject({
    id: z.string(),
    type: z.string().optional(),
    function: z.looseObject({ name: z.string(), arguments: z.string().nullish() }),
  });

  const message = z.looseObject({
    role: z.enum(["system", "developer", "user", "assistant", "tool"]),
    content,
    tool_calls: z.array(toolCall).nullish(),
    tool_call_id: z.string().optional(),
  });

  const tool = z.looseObject({
    type: z.literal("function"),
    function: z.looseObject({
      name: z.string(),
      description: z.string().optional(),
      parameters: z.record(z.string(), z.unknown()).optional(),
      strict: z.boolean().nullish(),
    }),
  });

  const toolChoice = z.union([
    z.enum(["auto", "none", "required"]),
    z.looseObject({ type: z.literal("function"), function: z.looseObject({ name: z.string() }) }),
  ]);

  const chatRequest = z.looseObject({
    model: z.string(),
    reasoning_effort: z.string().nullish(),
    messages: z.array(message),
    max_tokens: z.number().int().positive().nullish(),
    max_completion_tokens: z.number().int().positive().nullish(),
    temperature: z.number().nullish(),
    top_p: z.number().nullish(),
    n: z.number().int().nullish(),
    stop: z.union([z.string(), z.array(z.string())]).nullish(),
    user: z.string().optional(),
    safety_identifier: z.string().nullish(),
    stream: z.boolean().nullish(),
    tools: z.array(tool).optional(),
    tool_choice: toolChoice.optional(),
    parallel_tool_calls: z.boolean().optional(),
    response_format: z
      .looseObject({
        type: z.string(),
        json_schema: z
          .looseObject({ name: z.string().optional(), schema: z.unknown().optional() })
          .optional(),
      })
      .optional(),
  });

  const usage = z.looseObject({
    prompt_tokens: z.number().nullish(),
    completion_tokens: z.number().nullish(),
    prompt_tokens_details: z.looseObject({ cached_tokens: z.number().nullish() }).nullish(),
    completion_tokens_details: z.looseObject({ reasoning_tokens: z.number().nullish() }).nullish(),
  });

  const chatResponse = z.looseObject({
    id: z.string().optional(),
    created: z.number().optional(),
    choices: z.array(
      z.looseObject({
        finish_reason: z.string().nullish(),
        /** vLLM reports the stop string that matched here; OpenAI itself does not. */
        stop_reason: z.union([z.string(), z.number()]).nullish(),
        message: z.looseObject({
          content: z.string().nullish(),
          refusal: z.string().nullish(),
          reasoning_content: z.unknown().optional(),
          reasoning: z.unknown().optional(),
          tool_calls: z.array(toolCall).nullish(),
        }),
      }),
    ),
    usage: usage.nullish(),
  });

  const toolCallDelta = z.looseObject({
    /** Absent from some servers' streams (Gemini's OpenAI-compatible API): tool-call-sequencer.ts numbers them. */
    index: z.number().int().nonnegative().nullish(),
    id: z.string().nullish(),
    function: z.looseObject({ name: z.string().nullish(), arguments: z.string().nullish() }).nullish(),
  });

  const chunk = z.looseObject({
    id: z.string().optional(),
    created: z.number().optional(),
    choices: z
      .array(
        z.looseObject({
          index: z.number().int().optional(),
          delta: z
            .looseObject({
              content: z.string().nullish(),
              refusal: z.string().nullish(),
              /** Reasoning text some chat servers stream (vLLM, DeepSeek: `reasoning_content`). */
              // Loose: only text is read; other shapes some servers use must not fail the chunk.
              reasoning_content: z.unknown().optional(),
              reasoning: z.unknown().optional(),
              tool_calls: z.array(toolCallDelta).nullish(),
            })
            .nullish(),
          finish_reason: z.string().nullish(),
          stop_reason: z.union([z.string(), z.number()]).nullish(),
        }),
      )
      // Null on the usage chunk of some servers (MiniMax's), where OpenAI sends [].
      .nullish(),
    usage: usage.nullish(),
  });

  return { contentPart, message, chatRequest, usage, chatResponse, chunk };
}

/**
 * Built on the first body a translation reads: a gateway that never translates to or from
 * OpenAI's chat API holds none of it (built-on-first-use.ts).
 */
export const openAISchemas = builtOnFirstUse("OpenAI chat's schemas", buildOpenAISchemas);
type OpenAISchemas = ReturnType<typeof buildOpenAISchemas>;

export type OpenAIContentPart = z.infer<OpenAISchemas["contentPart"]>;
export type OpenAIMessage = z.infer<OpenAISchemas["message"]>;
export type OpenAIChatRequest = z.infer<OpenAISchemas["chatRequest"]>;
export type OpenAIUsage = z.infer<OpenAISchemas["usage"]>;
export type OpenAIChatResponse = z.infer<OpenAISchemas["chatResponse"]>;
export type OpenAIChunk = z.infer<OpenAISchemas["chunk"]>;
