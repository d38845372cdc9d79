import { z } from "zod";

/** The parts of Bedrock's Converse API the translators read; unknown fields are tolerated. */
export const converseUsage = z.looseObject({
  inputTokens: z.number().nullish(),
  outputTokens: z.number().nullish(),
  cacheReadInputTokens: z.number().nullish(),
  cacheWriteInputTokens: z.number().nullish(),
});
export type ConverseUsage = z.infer<typeof converseUsage>;

/**
 * A `reasoningContent` block (ReasoningContentBlock, a union): the model's reasoning as text, with
 * the signature Claude makes of it (`reasoningText`), or Claude's thinking encrypted
 * (`redactedContent`, a blob: base64 in JSON). Each field is read only when it is what it says.
 */
const reasoningContent = z.looseObject({
  reasoningText: z.looseObject({ text: z.string().nullish(), signature: z.string().nullish() }).nullish(),
  redactedContent: z.string().nullish(),
});
export type ConverseReasoning = z.infer<typeof reasoningContent>;

const contentBlock = z.looseObject({
  text: z.string().optional(),
  toolUse: z.looseObject({ toolUseId: z.string(), name: z.string(), input: z.unknown() }).optional(),
  reasoningContent: reasoningContent.nullish(),
});

export const converseResponse = z.looseObject({
  output: z.looseObject({
    message: z.looseObject({ role: z.string().optional(), content: z.array(contentBlock) }),
  }),
  stopReason: z.string().nullish(),
  // A Document: whatever the model says beside the answer (Claude: the `stop_sequence` that matched).
  additionalModelResponseFields: z.unknown().optional(),
  usage: converseUsage.nullish(),
});

/** One ConverseStream event: the event type (a frame header) and its JSON payload. */
export const converseStreamPayload = z.looseObject({
  contentBlockIndex: z.number().int().nonnegative().optional(),
  start: z
    .looseObject({ toolUse: z.looseObject({ toolUseId: z.string(), name: z.string() }).optional() })
    .optional(),
  delta: z
    .looseObject({
      text: z.string().optional(),
      toolUse: z.looseObject({ input: z.string() }).optional(),
      // ReasoningContentBlockDelta, a union: a piece of the reasoning's text, the block's
      // signature (once, at its end), or a redacted block's data.
      reasoningContent: z
        .looseObject({
          text: z.string().nullish(),
          signature: z.string().nullish(),
          redactedContent: z.string().nullish(),
        })
        .nullish(),
    })
    .optional(),
  stopReason: z.string().optional(),
  additionalModelResponseFields: z.unknown().optional(),
  usage: converseUsage.optional(),
  message: z.string().optional(),
});
export type ConverseStreamPayload = z.infer<typeof converseStreamPayload>;
