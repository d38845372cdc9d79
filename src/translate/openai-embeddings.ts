import { z } from "zod";
import type { JsonObject } from "../core/dialect.ts";
import { badRequest, upstreamError } from "../core/gateway-error.ts";
import { float32Base64 } from "./float32-base64.ts";
import { parseBody } from "./parse-body.ts";
import { type TokenCounter, tokenCounter } from "./token-count.ts";
import { tokenCount } from "./usage-mapping.ts";

/**
 * An OpenAI embeddings request as a vendor's translation needs it: the texts, and what shapes
 * the answer. `user` has no counterpart upstream: it is named as dropped (embeddings-target.ts).
 */
export interface EmbeddingsAsk {
  readonly texts: readonly string[];
  /** `dimensions`: the vector's length, where the model can shorten it. */
  readonly dimensions: number | undefined;
  /** `encoding_format: "base64"` (the OpenAI SDKs' default): each vector as little-endian float32 bytes. */
  readonly base64: boolean;
  /** A vendor's own field sent through the OpenAI body (`task_type`, `input_type`), when given. */
  readonly extra: (field: string) => string | undefined;
}

/**
 * A vendor's vectors in the request's order, and the input tokens it counted: undefined where it
 * counted none or gave a figure that is no count (`tokenCount`), read so by the vendor's reader
 * before calls' counts are summed (embed-in-calls.ts), where a bad one would hide in the sum.
 */
export interface Embedded {
  readonly vectors: number[][];
  readonly inputTokens: number | undefined;
}

/**
 * What one upstream call of an embeddings request may carry: a vendor's cap on texts, and where it
 * caps a call's input tokens too (Vertex AI's 20,000), the most to send and how a text's are
 * counted — an estimate of the vendor's tokenizer, so `most` keeps a margin below its cap.
 */
export interface EmbedCallCap {
  readonly texts: number;
  readonly tokens?: {
    readonly most: number;
    readonly count: TokenCounter;
    /**
     * A cheap bound no `count` is over (a text's UTF-8 bytes, for a byte-level BPE such as o200k):
     * a text is counted only where its bound could take its call past `most`, so a batch well
     * under the cap costs no tokenizing on the event loop.
     */
    readonly atMost?: TokenCounter;
  };
}

const embeddingsRequest = z.looseObject({
  // Token ids (numbers, or lists of them) are an OpenAI tokenizer's: another vendor reads text.
  input: z.union([
    z.string(),
    z.array(z.string()).min(1),
    z.array(z.number()).min(1),
    z.array(z.array(z.number())).min(1),
  ]),
  dimensions: z.number().int().positive().optional(),
  encoding_format: z.enum(["float", "base64"]).optional(),
});

/** Reads an OpenAI embeddings request for a vendor that takes text: token-id inputs and an empty text are a 400. */
export function readEmbeddingsAsk(body: JsonObject, provider: string): EmbeddingsAsk {
  // Said plainly: the schema's union would answer "expected string, received array".
  if (Array.isArray(body.input) && body.input.length === 0)
    throw badRequest("input: an empty list; send at least one text to embed", "input");
  const request = parseBody(embeddingsRequest, body, "request");
  const texts = typeof request.input === "string" ? [request.input] : request.input;
  if (!allText(texts))
    throw badRequest(
      `input: token ids cannot be sent to provider ${provider}, which reads text; send the text itself`,
      "input",
    );
  // OpenAI refuses an empty text (`'$.input' is invalid`), and so do the vendors, in their own words
  // and only once the texts before it are embedded and billed (Titan takes one a call).
  const empty = texts.indexOf("");
  if (empty !== -1)
    throw badRequest(
      `${typeof request.input === "string" ? "input" : `input[${empty}]`}: an empty string; every text to embed must have at least one character`,
      "input",
    );
  return {
    texts,
    dimensions: request.dimensions,
    base64: request.encoding_format === "base64",
    extra: (field) => {
      const value = body[field];
      return typeof value === "string" ? value : undefined;
    },
  };
}

const allText = (inputs: readonly unknown[]): inputs is string[] =>
  inputs.every((input) => typeof input === "string");

/**
 * The OpenAI embeddings answer for `ask` from a vendor's vectors. A vendor that counted no tokens
 * (the Gemini API), or whose count is none (`-100000`, `0.5`: `tokenCount`, read here too for an
 * `Embedded` made by hand), gets the o200k tokenizer's count of the texts: an estimate, never a
 * silent 0, and the figure the caller is told is the one billed.
 */
export async function embeddingsAnswer(
  provider: string,
  ask: EmbeddingsAsk,
  model: string,
  embedded: Embedded,
): Promise<JsonObject> {
  if (embedded.vectors.length !== ask.texts.length)
    throw upstreamError(
      `upstream ${provider} answered ${embedded.vectors.length} embeddings for ${ask.texts.length} inputs`,
    );
  let tokens = tokenCount(embedded.inputTokens);
  if (tokens === undefined) {
    const count = await tokenCounter();
    tokens = ask.texts.reduce((sum, text) => sum + count(text), 0);
  }
  return {
    object: "list",
    data: embedded.vectors.map((vector, index) => ({
      object: "embedding",
      index,
      embedding: ask.base64 ? float32Base64(vector) : vector,
    })),
    model,
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  };
}
