import { z } from "zod";
import { builtOnFirstUse } from "../../core/built-on-first-use.ts";

/** A tool: `function`, `custom`, `namespace` (holding more tools) or a hosted one. */
export interface ResponsesTool {
  type: string;
  name?: string | undefined;
  description?: string | null | undefined;
  parameters?: Record<string, unknown> | null | undefined;
  strict?: boolean | null | undefined;
  format?: { type: string; syntax?: string | undefined; definition?: string | undefined } | undefined;
  tools?: ResponsesTool[] | undefined;
  [key: string]: unknown;
}

/** The parts of a Responses API request the chat-completions translation reads. */
function buildResponsesSchemas() {
  const inputPart = z.looseObject({
    type: z.string(),
    text: z.string().nullish(),
    refusal: z.string().nullish(),
    image_url: z.string().nullish(),
    detail: z.string().nullish(),
    file_data: z.string().nullish(),
    file_id: z.string().nullish(),
    file_url: z.string().nullish(),
    filename: z.string().nullish(),
  });

  const tool: z.ZodType<ResponsesTool> = z.lazy(() =>
    z.looseObject({
      type: z.string(),
      name: z.string().optional(),
      description: z.string().nullish(),
      parameters: z.record(z.string(), z.unknown()).nullish(),
      strict: z.boolean().nullish(),
      format: z
        .looseObject({ type: z.string(), syntax: z.string().optional(), definition: z.string().optional() })
        .optional(),
      tools: z.array(tool).optional(),
    }),
  );

  const output = z.union([z.string(), z.array(inputPart)]);

  /**
   * One conversation item: a message (typed or bare), a function or custom tool call and its
   * output, a reasoning item, an `additional_tools` item (more tools, mid-conversation), or a
   * type this translation names as dropped.
   * Every field may be null: clients echo the items they were given with their unset fields as
   * null, as OpenAI's API writes them (Codex's reasoning item has `"content": null`, the Python
   * SDK's dumped items `"status": null`). A required one that is null is refused by
   * input-item-checks.ts, in OpenAI's words.
   */
  const item = z.looseObject({
    type: z.string().nullish(),
    role: z.enum(["user", "assistant", "system", "developer"]).nullish(),
    content: z.union([z.string(), z.array(inputPart)]).nullish(),
    call_id: z.string().nullish(),
    name: z.string().nullish(),
    namespace: z.string().nullish(),
    arguments: z.string().nullish(),
    input: z.string().nullish(),
    output: output.nullish(),
    tools: z.array(tool).nullish(),
  });

  /**
   * A top-level field set to null is as good as absent, as an item's are (OpenAI's SDKs type them
   * `?: … | null`, and the API reads null as unset).
   */
  const request = z.looseObject({
    model: z.string(),
    input: z.union([z.string(), z.array(item)]).nullish(),
    instructions: z.string().nullish(),
    tools: z.array(tool).nullish(),
    tool_choice: z
      .union([
        z.enum(["auto", "none", "required"]),
        z.looseObject({
          type: z.string(),
          name: z.string().optional(),
          namespace: z.string().nullish(),
          /** `allowed_tools`: `auto` or `required`, among `tools` only. */
          mode: z.string().nullish(),
          tools: z.array(z.looseObject({ type: z.string(), name: z.string().nullish() })).nullish(),
        }),
      ])
      .nullish(),
    parallel_tool_calls: z.boolean().nullish(),
    max_output_tokens: z.number().int().positive().nullish(),
    temperature: z.number().nullish(),
    top_p: z.number().nullish(),
    user: z.string().nullish(),
    stream: z.boolean().nullish(),
    reasoning: z
      .looseObject({
        effort: z.string().nullish(),
        summary: z.string().nullish(),
        /** The deprecated name of `summary`. */
        generate_summary: z.string().nullish(),
        context: z.unknown().optional(),
      })
      .nullish(),
    metadata: z.record(z.string(), z.string()).nullish(),
    service_tier: z.string().nullish(),
    prompt_cache_key: z.string().nullish(),
    prompt_cache_retention: z.string().nullish(),
    prompt_cache_options: z.record(z.string(), z.unknown()).nullish(),
    safety_identifier: z.string().nullish(),
    top_logprobs: z.number().int().nullish(),
    include: z.array(z.string()).nullish(),
    background: z.boolean().nullish(),
    truncation: z.string().nullish(),
    /** OpenAI's Conversations API: an id, or `{ id }`. */
    conversation: z.unknown().optional(),
    text: z
      .looseObject({
        format: z
          .looseObject({
            type: z.string(),
            name: z.string().nullish(),
            description: z.string().nullish(),
            schema: z.unknown().optional(),
            strict: z.boolean().nullish(),
          })
          .nullish(),
        verbosity: z.string().nullish(),
      })
      .nullish(),
  });

  return { inputPart, item, request };
}

/**
 * Built on the first Responses request translated to chat completions: a gateway that never
 * translates one holds none of it (built-on-first-use.ts).
 */
export const responsesSchemas = builtOnFirstUse("the Responses API's schemas", buildResponsesSchemas);
type ResponsesSchemas = ReturnType<typeof buildResponsesSchemas>;

export type ResponsesInputPart = z.infer<ResponsesSchemas["inputPart"]>;
export type ResponsesItem = z.infer<ResponsesSchemas["item"]>;
export type ResponsesRequest = z.infer<ResponsesSchemas["request"]>;
