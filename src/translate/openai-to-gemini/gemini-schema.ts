import { z } from "zod";

/** The parts of Gemini's generateContent API (Gemini API and Vertex AI alike) the translators read. */
export const geminiPart = z.looseObject({
  text: z.string().optional(),
  thought: z.boolean().optional(),
  functionCall: z
    .looseObject({ id: z.string().optional(), name: z.string(), args: z.unknown().optional() })
    .optional(),
  /** Gemini 3's signature of its reasoning, to be sent back on the same part (gemini-call-id.ts). */
  thoughtSignature: z.string().optional(),
});
export type GeminiPart = z.infer<typeof geminiPart>;

export const geminiUsage = z.looseObject({
  promptTokenCount: z.number().nullish(),
  toolUsePromptTokenCount: z.number().nullish(),
  candidatesTokenCount: z.number().nullish(),
  thoughtsTokenCount: z.number().nullish(),
  cachedContentTokenCount: z.number().nullish(),
});
export type GeminiUsage = z.infer<typeof geminiUsage>;

export const geminiResponse = z.looseObject({
  responseId: z.string().optional(),
  /** The model that answered (`gemini-2.5-flash-001`): the trace's response model, not the caller's. */
  modelVersion: z.string().optional(),
  candidates: z
    .array(
      z.looseObject({
        /** Which of `candidateCount` answers it is: a stream's event carries those that moved on. */
        index: z.number().int().nonnegative().optional(),
        content: z.looseObject({ parts: z.array(geminiPart).optional() }).optional(),
        finishReason: z.string().optional(),
        /**
         * The tokens' log probabilities, when asked for (`responseLogprobs`): read apart
         * (gemini-logprobs.ts), so one the gateway cannot read costs the caller them, not the answer.
         */
        logprobsResult: z.unknown().optional(),
        /** Google Search grounding, read apart too (grounding-citations.ts). */
        groundingMetadata: z.unknown().optional(),
      }),
    )
    .optional(),
  promptFeedback: z.looseObject({ blockReason: z.string().optional() }).optional(),
  usageMetadata: geminiUsage.optional(),
});
export type GeminiResponse = z.infer<typeof geminiResponse>;
