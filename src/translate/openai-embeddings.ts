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

/**
 * A text's UTF-8 bytes: no o200k count is over it, as o200k is a byte-level BPE whose every token
 * is at least one byte (a lone surrogate is the 3 bytes of U+FFFD, one token).
 */
export const utf8Bytes = (text: string): number => Buffer.byteLength(text, "utf8");

/**
 * A vendor's cap of `texts` a call and `most` input tokens in all, as the o200k tokenizer counts
 * them (a margin below the vendor's own cap for the difference of tokenizers): a text is counted
 * only where its bytes could take its call past `most`.
 */
export async function tokenCappedCall(texts: number, most: number): Promise<EmbedCallCap> {
  return { texts, tokens: { most, count: await tokenCounter(), atMost: utf8Bytes } };
}

/**
 * Inputs one OpenAI embeddings request may carry (OpenAI's API reference: "any array must be 2048
 * dimensions or less"; more is its 400 `'$.input' is invalid`). A translated route holds a request
 * to it as OpenAI does, before any call, rather than cut an ever longer list into vendor calls
 * (Titan's one a text). A pass-through route leaves it to its upstream.
 */
export const MAX_EMBEDDING_INPUTS = 2048;

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
  // One list of numbers is one input (its token ids); any other list, one input an entry.
  if (texts.length > MAX_EMBEDDING_INPUTS && !texts.every((input) => typeof input === "number"))
    throw badRequest(
      `'$.input' is invalid: ${texts.length} inputs, and an array of inputs must be ${MAX_EMBEDDING_INPUTS} or less; send at most ${MAX_EMBEDDING_INPUTS} inputs a request`,
      "input",
    );
  if (!allText(texts))
    throw badRequest(
      `input: token ids cannot be sent to provider ${provider}, which embeds text: send the texts themselves. ` +
        "LangChain's OpenAIEmbeddings (Python) sends token ids unless made with check_embedding_ctx_length=False",
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
