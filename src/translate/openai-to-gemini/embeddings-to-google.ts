import { z } from "zod";
import type { JsonObject } from "../../core/dialect.ts";
import { CARRIED_BY_EVERY_EMBEDDINGS_TARGET, type EmbeddingsTarget } from "../embeddings-target.ts";
import {
  type EmbedCallCap,
  type Embedded,
  type EmbeddingsAsk,
  tokenCappedCall,
} from "../openai-embeddings.ts";
import { parseBody } from "../parse-body.ts";
import { tokenCount } from "../usage-mapping.ts";

/*
 * OpenAI embeddings to Google's two embedding APIs and back. `dimensions` is
 * `outputDimensionality`; `task_type` (RETRIEVAL_QUERY, RETRIEVAL_DOCUMENT, …), a field the OpenAI
 * body may carry for Google, is the task type. The Gemini API's `batchEmbedContents` counts no
 * tokens; Vertex AI's `predict` counts each text's.
 */

const GOOGLE_CARRIES = [...CARRIED_BY_EVERY_EMBEDDINGS_TARGET, "task_type"];

/** What both of Google's embedding APIs carry: every target's fields and the task type. */
export const GOOGLE_EMBEDDINGS_TARGET: EmbeddingsTarget = { carries: () => GOOGLE_CARRIES };

/** The Gemini API's `models/{model}:batchEmbedContents` body: one request per text. */
export function geminiEmbedRequest(model: string, texts: readonly string[], ask: EmbeddingsAsk): JsonObject {
  const taskType = ask.extra("task_type");
  return {
    requests: texts.map((text) => ({
      model: `models/${model}`,
      content: { parts: [{ text }] },
      ...(taskType !== undefined ? { taskType } : {}),
      ...(ask.dimensions !== undefined ? { outputDimensionality: ask.dimensions } : {}),
    })),
  };
}

const geminiEmbedResponse = z.looseObject({
  embeddings: z.array(z.looseObject({ values: z.array(z.number()) })),
  // Not documented for the Gemini API's batch answer today; read where it comes.
  usageMetadata: z.looseObject({ promptTokenCount: z.number().optional() }).optional(),
});

/** Reads a `batchEmbedContents` answer: the vectors, and its count where it gives one (`tokenCount`). */
export function geminiEmbedAnswer(body: unknown): Embedded {
  const answer = parseBody(geminiEmbedResponse, body, "upstream");
  return {
    vectors: answer.embeddings.map((embedding) => embedding.values),
    inputTokens: tokenCount(answer.usageMetadata?.promptTokenCount),
  };
}

/** Vertex AI's `publishers/google/models/{model}:predict` body: one instance per text. */
export function vertexPredictRequest(texts: readonly string[], ask: EmbeddingsAsk): JsonObject {
  const taskType = ask.extra("task_type");
  return {
    instances: texts.map((content) => ({
      content,
      ...(taskType !== undefined ? { task_type: taskType } : {}),
    })),
    ...(ask.dimensions !== undefined ? { parameters: { outputDimensionality: ask.dimensions } } : {}),
  };
}

const vertexPredictResponse = z.looseObject({
  predictions: z.array(
    z.looseObject({
      embeddings: z.looseObject({
        values: z.array(z.number()),
        statistics: z.looseObject({ token_count: z.number() }).optional(),
      }),
    }),
  ),
});

/**
 * Reads a `predict` answer: the vectors, and the tokens when every text's count came and is one
 * (`tokenCount`); one missing or bad (`-50`, `3.5`) leaves the sum to the estimate, as a sum
 * with a count left out would bill too few.
 */
export function vertexPredictAnswer(body: unknown): Embedded {
  const answer = parseBody(vertexPredictResponse, body, "upstream");
  let inputTokens: number | undefined = 0;
  for (const { embeddings } of answer.predictions) {
    const count = tokenCount(embeddings.statistics?.token_count);
    inputTokens = inputTokens === undefined || count === undefined ? undefined : inputTokens + count;
  }
  return { vectors: answer.predictions.map((prediction) => prediction.embeddings.values), inputTokens };
}

/**
 * Input tokens one Vertex `predict` call may carry, as the o200k tokenizer counts them: Google caps
 * a call at 20,000 of its own tokenizer's (a 400 past it), which counts other than o200k does, so a
 * quarter of the cap is held back for the difference.
 */
export const VERTEX_TOKENS_PER_CALL = 15_000;

/**
 * What one Vertex `predict` call may carry: Google's Gemini embedding models take one text a call
 * there; its text-embedding models up to 250, and 20,000 input tokens in all — counted only where
 * a text's bytes could take its call past them (`EmbedCallCap.tokens.atMost`).
 */
export async function vertexCallCap(model: string): Promise<EmbedCallCap> {
  if (model.startsWith("gemini-embedding")) return { texts: 1 };
  return tokenCappedCall(250, VERTEX_TOKENS_PER_CALL);
}
