import { z } from "zod";

/** The parts of a Responses API request the chat-completions translation reads. */
export const responsesInputPart = z.looseObject({
  type: z.string(),
  text: z.string().optional(),
  refusal: z.string().optional(),
  image_url: z.string().nullish(),
});

/** One conversation item: a message (typed or bare), a function call, or a function call's output. */
export const responsesItem = z.looseObject({
  type: z.string().optional(),
  role: z.enum(["user", "assistant", "system", "developer"]).optional(),
  content: z.union([z.string(), z.array(responsesInputPart)]).optional(),
  call_id: z.string().optional(),
  name: z.string().optional(),
  arguments: z.string().optional(),
  output: z.union([z.string(), z.array(responsesInputPart)]).optional(),
});
export type ResponsesItem = z.infer<typeof responsesItem>;

export const responsesRequest = z.looseObject({
  model: z.string(),
  input: z.union([z.string(), z.array(responsesItem)]).optional(),
  instructions: z.string().nullish(),
  tools: z
    .array(
      z.looseObject({
        type: z.string(),
        name: z.string().optional(),
        description: z.string().nullish(),
        parameters: z.record(z.string(), z.unknown()).nullish(),
        strict: z.boolean().nullish(),
      }),
    )
    .optional(),
  tool_choice: z
    .union([
      z.enum(["auto", "none", "required"]),
      z.looseObject({ type: z.string(), name: z.string().optional() }),
    ])
    .optional(),
  parallel_tool_calls: z.boolean().nullish(),
  max_output_tokens: z.number().int().positive().nullish(),
  temperature: z.number().nullish(),
  top_p: z.number().nullish(),
  user: z.string().optional(),
  stream: z.boolean().nullish(),
  text: z
    .looseObject({
      format: z
        .looseObject({
          type: z.string(),
          name: z.string().optional(),
          schema: z.unknown().optional(),
          strict: z.boolean().nullish(),
        })
        .optional(),
    })
    .optional(),
});
export type ResponsesRequest = z.infer<typeof responsesRequest>;
